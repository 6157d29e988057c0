package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/switchyard/switchyard/internal/bufpool"
	"github.com/switchyard/switchyard/internal/provider"
)

// notYet are routes LiteLLM serves and Switchyard does not yet: they answer an OpenAI-shaped 404.
var notYet = []string{
	"/responses", "/messages", "/audio/", "/images/", "/rerank", "/files", "/batches",
	"/moderations", "/fine_tuning/", "/assistants", "/threads", "/realtime", "/vector_stores",
}

// routes returns the handler for every route, behind auth where the route needs it.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"", "/v1"} {
		mux.HandleFunc(prefix+"/chat/completions", s.method("POST", s.completion(provider.Chat)))
		mux.HandleFunc(prefix+"/completions", s.method("POST", s.completion(provider.Completion)))
		mux.HandleFunc(prefix+"/embeddings", s.method("POST", s.completion(provider.Embedding)))
		mux.HandleFunc(prefix+"/models", s.method("GET", s.models))
		mux.HandleFunc(prefix+"/model/info", s.method("GET", s.modelInfo))
		for _, r := range notYet {
			mux.HandleFunc(prefix+r, s.notSupported)
		}
	}
	mux.HandleFunc("/openai/deployments/{model}/chat/completions", s.method("POST", s.completion(provider.Chat)))
	mux.HandleFunc("/openai/deployments/{model}/completions", s.method("POST", s.completion(provider.Completion)))
	mux.HandleFunc("/openai/deployments/{model}/embeddings", s.method("POST", s.completion(provider.Embedding)))
	mux.HandleFunc("/health/liveliness", s.method("GET", s.liveliness))
	mux.HandleFunc("/health/liveness", s.method("GET", s.liveliness))
	mux.HandleFunc("/health/readiness", s.method("GET", s.readiness))
	mux.HandleFunc("/health", s.method("GET", s.healthReport))
	s.uiRoutes(mux)
	mux.HandleFunc("/metrics", s.method("GET", s.serveMetrics))
	mux.HandleFunc("/", s.notFound)
	return s.auth(mux)
}

// openRoutes need no key even with a master key set (probes, Prometheus, and the dashboard's
// page, which asks for the key its data at /ui/state needs).
var openRoutes = map[string]bool{"/health/liveliness": true, "/health/liveness": true, "/health/readiness": true, "/metrics": true, "/ui": true}

// keyHeaders are where LiteLLM reads a client's key from; none of them is forwarded upstream.
var keyHeaders = []string{"Authorization", "API-Key", "X-Api-Key", "X-Goog-Api-Key", "X-Litellm-Api-Key"}

// auth requires the master key (when one is set) on every route but openRoutes.
func (s *Server) auth(next http.Handler) http.Handler {
	master := s.cfg.General.MasterKey.Reveal()
	if master == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if openRoutes[r.URL.Path] && !(r.URL.Path == "/metrics" && s.cfg.Litellm.RequireAuthForMetricsEndpoint) {
			next.ServeHTTP(w, r)
			return
		}
		for _, h := range keyHeaders {
			v := r.Header.Get(h)
			if v == "" {
				continue
			}
			v = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(v, "Bearer "), "bearer "))
			if subtle.ConstantTimeCompare([]byte(v), []byte(master)) == 1 {
				next.ServeHTTP(w, r)
				return
			}
		}
		s.writeError(w, &RequestError{Status: http.StatusUnauthorized, Type: "authentication_error",
			Message: "Authentication Error: a valid key is required (Authorization: Bearer <key>, or API-Key, x-api-key, x-litellm-api-key)"})
	})
}

// method answers 405 in the OpenAI envelope for any method but m (GET also allows HEAD).
func (s *Server) method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			s.writeError(w, &RequestError{Status: http.StatusMethodNotAllowed,
				Message: fmt.Sprintf("%s %s: method not allowed (use %s)", r.Method, r.URL.Path, m)})
			return
		}
		h(w, r)
	}
}

func (s *Server) notSupported(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, &RequestError{Status: http.StatusNotFound, Type: "not_found_error",
		Message: fmt.Sprintf("%s %s is not supported by Switchyard yet", r.Method, r.URL.Path)})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, &RequestError{Status: http.StatusNotFound, Type: "not_found_error",
		Message: fmt.Sprintf("no route %s %s (Switchyard serves the OpenAI API under /v1: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models)", r.Method, r.URL.Path)})
}

func (s *Server) liveliness(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "I'm alive!")
}

// readiness answers 200 while serving and 503 {"status":"draining"} from the moment shutdown
// starts, so load balancers stop sending before the listener closes. It never calls upstreams.
func (s *Server) readiness(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	body := map[string]any{"status": "healthy", "deployments": len(s.table.All())}
	if s.opts.Demo {
		body["demo"] = true
	}
	if st := s.redisStatus(); st != "" {
		body["redis"] = st
	}
	writeJSON(w, http.StatusOK, body)
}

// models lists the model groups and the aliases that are not hidden (GET /v1/models).
func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out.Data = append(out.Data, model{ID: id, Object: "model", Created: s.started.Unix(), OwnedBy: "switchyard"})
		}
	}
	for _, g := range s.table.Groups() {
		add(g.Name)
	}
	for _, alias := range sortedAliases(s.table.Aliases()) {
		if !s.table.Aliases()[alias].Hidden {
			add(alias)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// modelInfo lists every deployment with its id and settings; never a key (GET /v1/model/info).
func (s *Server) modelInfo(w http.ResponseWriter, r *http.Request) {
	type info struct {
		ModelName     string         `json:"model_name"`
		LitellmParams map[string]any `json:"litellm_params"`
		ModelInfo     map[string]any `json:"model_info"`
	}
	out := struct {
		Data []info `json:"data"`
	}{Data: []info{}}
	for _, d := range s.table.All() {
		params := map[string]any{"model": d.Model, "api_base": s.proxy.Provider(d).APIBase()}
		if d.RPM > 0 {
			params["rpm"] = d.RPM
		}
		if d.TPM > 0 {
			params["tpm"] = d.TPM
		}
		mi := map[string]any{"id": d.ID, "provider": d.Provider, "mode": d.Mode}
		if d.MaxInputTokens > 0 {
			mi["max_input_tokens"] = d.MaxInputTokens
		}
		if d.InputCostPerToken > 0 || d.OutputCostPerToken > 0 {
			mi["input_cost_per_token"], mi["output_cost_per_token"] = d.InputCostPerToken, d.OutputCostPerToken
		}
		out.Data = append(out.Data, info{ModelName: d.ModelName, LitellmParams: params, ModelInfo: mi})
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// readBody reads the request body into a pooled buffer (give it back with bufpool.Put), up to
// the configured limit (413 beyond it) and within BodyReadTimeout (408 when the client is
// slower; the connection is then closed). On error no buffer is returned.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (*[]byte, error) {
	if r.ContentLength > s.maxBody {
		return nil, s.tooLarge()
	}
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout)) == nil
	buf, err := s.readLimited(w, r)
	if err != nil && isTimeout(err) {
		// The deadline stays in the past: the server's attempt to discard the rest of the body
		// fails at once instead of waiting on the slow client.
		w.Header().Set("Connection", "close")
		return nil, &RequestError{Status: http.StatusRequestTimeout, Type: "timeout",
			Message: fmt.Sprintf("the request body was not received within %s; send it faster or in full", s.opts.BodyReadTimeout)}
	}
	if deadline {
		// Cleared: the server's background read that notices a client leaving mid-stream must
		// not hit it.
		rc.SetReadDeadline(time.Time{})
	}
	return buf, err
}

// readLimited reads r's body into a buffer sized by Content-Length (room for one byte more, to
// see EOF without growing): pooled from bufpool.MinPooled up, an exact allocation below it (a
// stream holds its body for as long as it lasts). On error a pooled buffer is back in the pool.
func (s *Server) readLimited(w http.ResponseWriter, r *http.Request) (*[]byte, error) {
	size := r.ContentLength
	if size <= 0 || size > 1<<20 {
		size = 4 << 10
	}
	var bp *[]byte
	if size+1 >= bufpool.MinPooled {
		bp = bufpool.Get(int(size) + 1)
	} else {
		b := make([]byte, 0, size+1)
		bp = &b
	}
	buf := *bp
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	for {
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		*bp = buf
		if err == io.EOF {
			return bp, nil
		}
		if err != nil {
			bufpool.Put(bp)
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return nil, s.tooLarge()
			case isTimeout(err):
				return nil, err
			}
			return nil, &RequestError{Status: http.StatusBadRequest, Message: "could not read the request body: " + err.Error()}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func (s *Server) tooLarge() error {
	return &RequestError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error",
		Message: fmt.Sprintf("request body is larger than the limit of %g MB (general_settings.max_request_size_mb)", float64(s.maxBody)/(1<<20))}
}
