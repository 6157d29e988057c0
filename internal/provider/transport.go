package provider

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// TransportOptions tune the pooled upstream transports.
type TransportOptions struct {
	// ConnectTimeout bounds dialling (TCP connect); default 10 s.
	ConnectTimeout time.Duration
	// MaxIdleConnsPerHost is the idle keep-alive pool per upstream host; default 1024. Go's default
	// of 2 would open a new TCP connection for most requests under load.
	MaxIdleConnsPerHost int
}

// Transports hands out one keep-alive http.Transport per upstream scheme+host (and TLS
// verification mode). Safe for concurrent use.
type Transports struct {
	opts TransportOptions
	mu   sync.Mutex
	m    map[string]*http.Transport
}

// NewTransports returns an empty pool.
func NewTransports(opts TransportOptions) *Transports {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = 1024
	}
	return &Transports{opts: opts, m: make(map[string]*http.Transport)}
}

// For returns the transport for baseURL's host. insecure skips TLS verification (ssl_verify:
// false). Proxy environment variables (HTTPS_PROXY, NO_PROXY) and SSL_CERT_FILE are honoured.
func (t *Transports) For(baseURL string, insecure bool) http.RoundTripper {
	key := baseURL
	if u, err := url.Parse(baseURL); err == nil {
		key = u.Scheme + "://" + u.Host
	}
	if insecure {
		key += "#insecure"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tr, ok := t.m[key]; ok {
		return tr
	}
	dialer := &net.Dialer{Timeout: t.opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialBodyConn(dialer),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   t.opts.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   t.opts.ConnectTimeout,
		ExpectContinueTimeout: time.Second,
	}
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	t.m[key] = tr
	return tr
}

// CloseIdle closes idle connections of every pooled transport.
func (t *Transports) CloseIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.m {
		tr.CloseIdleConnections()
	}
}
