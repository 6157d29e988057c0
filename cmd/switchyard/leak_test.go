package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/fake"
)

// Known secrets, each unique so a hit names the one that leaked.
var leakSecrets = []string{
	"sk-master-LEAK-0001",  // general_settings.master_key
	"sk-good-LEAK-0002",    // an OpenAI deployment's api_key
	"sk-echo-LEAK-0003",    // a deployment whose upstream echoes the key in its 401
	"azure-key-LEAK-0004",  // an Azure api_key
	"azure-sec-LEAK-0005",  // an Azure client_secret
	"azure-tok-LEAK-0006",  // an Azure azure_ad_token
	"redis-pw-LEAK-0007",   // router_settings.redis_password
	"db-pw-LEAK-0008",      // general_settings.database_url's password
	"sk-reload-LEAK-0009",  // a key only in a rejected reload
	"sk-badcfg-LEAK-0010",  // a key in a config that does not load
	"sk-badtype-LEAK-0011", // a key of the wrong type (a list), quoted by no error
}

// echoUpstream answers 401 quoting every request header value, as OpenAI's "Incorrect API key
// provided: sk-…" does: what the gateway must never pass on.
func echoUpstream(t *testing.T) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var quoted []string
		for k, vs := range r.Header {
			quoted = append(quoted, k+": "+strings.Join(vs, ","))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			strings.ReplaceAll(strings.Join(quoted, "; "), `"`, `'`))
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func leakConfig(good, echo, refused string) string {
	return fmt.Sprintf(`model_list:
  - model_name: good
    litellm_params: {model: openai/good, api_base: %[1]s/v1, api_key: sk-good-LEAK-0002}
  - model_name: echo
    litellm_params: {model: openai/echo, api_base: %[2]s/v1, api_key: sk-echo-LEAK-0003}
  - model_name: az
    litellm_params:
      model: azure/my-deployment
      api_base: %[2]s
      api_key: azure-key-LEAK-0004
      client_secret: azure-sec-LEAK-0005
  - model_name: az-token
    litellm_params: {model: azure/other, api_base: %[2]s, azure_ad_token: azure-tok-LEAK-0006}
  - model_name: refused
    litellm_params: {model: openai/refused, api_base: %[3]s/v1, api_key: sk-good-LEAK-0002}
router_settings:
  num_retries: 0
  redis_host: 127.0.0.1
  redis_port: %[4]s
  redis_password: redis-pw-LEAK-0007
general_settings:
  master_key: sk-master-LEAK-0001
  database_url: postgresql://user:db-pw-LEAK-0008@127.0.0.1:1/db
`, good, echo, refused, refused[strings.LastIndex(refused, ":")+1:])
}

// TestNoSecretInOutput runs the gateway with known secrets through success, upstream failures
// (one echoing the key), auth failures, a rejected reload, a config that does not load, `check`
// and debug logging, in text and JSON, with tracing on, and searches everything it wrote,
// answered and exported for them.
func TestNoSecretInOutput(t *testing.T) {
	good := fake.NewHandler(fake.Options{})
	gs := httptest.NewServer(good)
	t.Cleanup(gs.Close)
	echo := echoUpstream(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(leakConfig(gs.URL, echo, refused)), 0o600); err != nil {
		t.Fatal(err)
	}

	// A collector keeping every exported trace byte: spans must not carry secrets either.
	var traceMu sync.Mutex
	var traces bytes.Buffer
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		traceMu.Lock()
		traces.Write(b)
		traceMu.Unlock()
	}))
	t.Cleanup(col.Close)
	env := envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL})

	var all strings.Builder // every byte the gateway wrote, answered or exported
	for _, format := range [][]string{{"--debug"}, {"--detailed_debug", "--json-logs"}} {
		args := append([]string{"--config", path, "--host", "127.0.0.1", "--port", "0", "--reload-interval", "50ms"}, format...)
		ctx, cancel := context.WithCancel(context.Background())
		stdout, stderr := &syncBuffer{}, &syncBuffer{}
		code := make(chan int, 1)
		go func() { code <- run(ctx, args, stdout, stderr, env) }()
		base := "http://" + waitFor(t, stderr, anyAddr, code)[1]

		call := func(method, path, key, body string) int {
			req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			resp.Header.Write(&all)
			all.Write(b)
			return resp.StatusCode
		}
		chatBody := func(model string, stream bool) string {
			return fmt.Sprintf(`{"model":%q,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
		}
		master := leakSecrets[0]
		if got := call("POST", "/v1/chat/completions", master, chatBody("good", false)); got != 200 {
			t.Errorf("success: %d", got)
		}
		if got := call("POST", "/v1/chat/completions", master, chatBody("good", true)); got != 200 {
			t.Errorf("stream: %d", got)
		}
		for _, model := range []string{"echo", "az", "az-token", "refused"} {
			for _, stream := range []bool{false, true} {
				if got := call("POST", "/v1/chat/completions", master, chatBody(model, stream)); got < 400 {
					t.Errorf("%s: %d, want a failure", model, got)
				}
			}
		}
		if got := call("POST", "/v1/chat/completions", "", chatBody("good", false)); got != 401 {
			t.Errorf("no key: %d, want 401", got)
		}
		if got := call("POST", "/v1/chat/completions", master+"x", chatBody("good", false)); got != 401 {
			t.Errorf("wrong key: %d, want 401", got)
		}
		for _, p := range []string{"/v1/models", "/v1/model/info", "/metrics", "/health/readiness"} {
			call("GET", p, master, "")
		}

		// A reload that is rejected, its file full of secrets.
		bad := strings.Replace(leakConfig(gs.URL, echo, refused), "num_retries: 0", "num_retries: lots", 1) +
			"  extra_key: sk-reload-LEAK-0009\n"
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, stderr, reloadRejected, code)
		if err := os.WriteFile(path, []byte(leakConfig(gs.URL, echo, refused)), 0o600); err != nil {
			t.Fatal(err)
		}
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit code %d, want 0: %s", c, stderr.String())
		}
		all.WriteString(stdout.String())
		all.WriteString(stderr.String())
		if !strings.Contains(stderr.String(), "DEBUG") && !strings.Contains(stderr.String(), `"level":"DEBUG"`) {
			t.Errorf("%v: no debug line logged; the test must cover debug logging", format)
		}
	}

	// A config that does not load, and `check` on a good one.
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte(`model_list:
  - model_name: x
    litellm_params: {model: openai/x, api_key: sk-badcfg-LEAK-0010, rpm: many}
  - model_name: y
    litellm_params: {model: openai/y, api_key: [sk-badtype-LEAK-0011]}
general_settings:
  master_key: sk-master-LEAK-0001
`), 0o600)
	for _, args := range [][]string{{"--config", badCfg, "--port", "0"}, {"check", "--config", badCfg}, {"check", "--config", path}} {
		stdout, stderr := &syncBuffer{}, &syncBuffer{}
		c := run(context.Background(), args, stdout, stderr, envOf(nil))
		if args[0] != "check" || args[2] == badCfg {
			if c == 0 {
				t.Errorf("%v: exit 0, want a failure", args)
			}
		}
		all.WriteString(stdout.String())
		all.WriteString(stderr.String())
	}

	traceMu.Lock()
	if traces.Len() == 0 {
		t.Error("no trace exported: the test must cover spans")
	}
	all.Write(traces.Bytes())
	traceMu.Unlock()
	out := all.String()
	for _, s := range leakSecrets {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("secret %q leaked: …%s…", s, out[max(0, i-200):min(len(out), i+len(s)+50)])
		}
	}
	// The test must have seen what it claims to: the failures and the rejected reload.
	for _, want := range []string{"Incorrect API key provided", "config reload rejected", "bad.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: the scenario did not run", want)
		}
	}
}

var (
	reloadRejected = regexp.MustCompile(`config reload rejected`)
	// anyAddr finds the listening address in a text or JSON log line.
	anyAddr = regexp.MustCompile(`"?addr"?[=:]"?(127\.0\.0\.1:\d+)`)
)

// waitFor polls b until re matches (10 s at most) and returns the match.
func waitFor(t *testing.T, b *syncBuffer, re interface{ FindStringSubmatch(string) []string }, code chan int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		select {
		case c := <-code:
			t.Fatalf("exited with %d: %s", c, b.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v not seen within 10 s: %s", re, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
