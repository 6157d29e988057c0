package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/cooldown"
	"github.com/switchyard/switchyard/internal/fake"
)

// az is the litellm_params of an Azure deployment on a fake upstream.
func az(url string) string {
	return fmt.Sprintf(`model: azure/chat, api_base: %s, api_key: azure-key, api_version: "2024-10-21"`, url)
}

// dep is one model_list entry with an explicit deployment id.
func dep(group, id, params string) string {
	return fmt.Sprintf("  - model_name: %s\n    litellm_params: {%s}\n    model_info: {id: %s}\n", group, params, id)
}

func modelList(deps ...string) string { return "model_list:\n" + strings.Join(deps, "") }

// mustParse parses yaml as config file test.yaml with no environment.
func mustParse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml), noEnv)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

// TestReloadWhileStreaming is K1: a valid reload adds a model group; the ten streams in flight
// on the old config all complete, and new requests route to the new group.
func TestReloadWhileStreaming(t *testing.T) {
	slow := startUpstream(t, fake.Options{Chunks: 10, ChunkGap: 50 * time.Millisecond})
	fast := startUpstream(t, fake.Options{})
	g := startGateway(t, modelList(dep("gpt-3.5-turbo", "a", az(slow.URL))), Options{})
	streams := make([]*stream, 10)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() { streams[i] = openStream(t, g.Client(), g.URL, "gpt-3.5-turbo") })
	}
	wg.Wait()
	if resp, _ := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "new-group")); resp.StatusCode != 400 {
		t.Fatalf("new-group before reload: got %d, want 400 (unknown model)", resp.StatusCode)
	}
	if err := g.srv.Reload(mustParse(t, modelList(dep("gpt-3.5-turbo", "a", az(slow.URL)), dep("new-group", "b", az(fast.URL))))); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "new-group")); resp.StatusCode != 200 {
		t.Fatalf("new-group after reload: got %d %s, want 200", resp.StatusCode, b)
	}
	if n := fast.h.Count(); n != 1 {
		t.Errorf("new deployment got %d requests, want 1", n)
	}
	for i, st := range streams {
		if body := st.result(t, 10*time.Second); st.status != 200 || !completeStream(body) {
			t.Errorf("in-flight stream %d: got %d %q, want 200 ending in [DONE]", i, st.status, tail(body))
		}
	}
	if ok, failed := g.srv.Reloads(); ok != 1 || failed != 0 {
		t.Errorf("Reloads: got %d ok %d failed, want 1 and 0", ok, failed)
	}
	if n := len(g.srv.Table().All()); n != 2 {
		t.Errorf("Table after reload: got %d deployments, want 2", n)
	}
}

// TestReloadRejectsInvalid is K2: an invalid file is rejected with an error naming file:line or
// the missing variable, and the old config keeps serving.
func TestReloadRejectsInvalid(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	g := startGateway(t, modelList(dep("gpt-3.5-turbo", "a", az(up.URL))), Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "reload.yaml")
	fileLine := regexp.MustCompile(regexp.QuoteMeta(path) + `:\d+`)
	tests := []struct {
		name, yaml string
		want       *regexp.Regexp
	}{
		{"YAML syntax error", "model_list:\n  - model_name: x\n    litellm_params: {model: azure/chat\n", fileLine},
		{"missing os.environ variable", modelList(dep("gpt-3.5-turbo", "a",
			fmt.Sprintf("model: azure/chat, api_base: %s, api_key: os.environ/SWITCHYARD_RELOAD_TEST_KEY, api_version: v1", up.URL))),
			regexp.MustCompile(regexp.QuoteMeta(path) + `:\d+.*SWITCHYARD_RELOAD_TEST_KEY`)},
		{"bad type", modelList(dep("gpt-3.5-turbo", "a", az(up.URL)+", rpm: lots")), fileLine},
		{"no model_list", "router_settings: {num_retries: 1}\n", regexp.MustCompile(regexp.QuoteMeta(path) + `: model_list: at least one deployment`)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			err := g.srv.ReloadFile(path)
			if err == nil || !tt.want.MatchString(err.Error()) {
				t.Fatalf("ReloadFile: got %v, want an error matching %s", err, tt.want)
			}
			if !strings.Contains(g.logs.String(), "config reload rejected") || !tt.want.MatchString(g.logs.String()) {
				t.Errorf("logs lack the rejection naming the problem:\n%s", g.logs)
			}
			if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "gpt-3.5-turbo")); resp.StatusCode != 200 {
				t.Errorf("old config after a rejected reload: got %d %s, want 200", resp.StatusCode, b)
			}
			if ok, failed := g.srv.Reloads(); ok != 0 || failed != int64(i+1) {
				t.Errorf("Reloads: got %d ok %d failed, want 0 and %d", ok, failed, i+1)
			}
		})
	}
	if err := g.srv.ReloadFile(filepath.Join(dir, "gone.yaml")); err == nil || !strings.Contains(err.Error(), "gone.yaml") {
		t.Errorf("ReloadFile of a missing file: got %v, want an error naming it", err)
	}
}

// TestReloadRemovesDeployment is K3: a stream on a deployment the reload removes finishes, and
// the deployment gets no new traffic.
func TestReloadRemovesDeployment(t *testing.T) {
	old := startUpstream(t, fake.Options{Chunks: 10, ChunkGap: 50 * time.Millisecond})
	repl := startUpstream(t, fake.Options{})
	g := startGateway(t, modelList(dep("gpt-3.5-turbo", "old", az(old.URL))), Options{})
	st := openStream(t, g.Client(), g.URL, "gpt-3.5-turbo")
	if err := g.srv.Reload(mustParse(t, modelList(dep("gpt-3.5-turbo", "new", az(repl.URL))))); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	for range 5 {
		if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "gpt-3.5-turbo")); resp.StatusCode != 200 {
			t.Fatalf("after reload: got %d %s, want 200", resp.StatusCode, b)
		}
	}
	if body := st.result(t, 10*time.Second); st.status != 200 || !completeStream(body) {
		t.Errorf("stream on the removed deployment: got %d %q, want 200 ending in [DONE]", st.status, tail(body))
	}
	if o, r := old.h.Count(), repl.h.Count(); o != 1 || r != 5 {
		t.Errorf("upstream requests: got removed %d replacement %d, want 1 and 5", o, r)
	}
}

// TestReloadKeepsUsage: a deployment unchanged across a reload keeps its rpm count, so a used-up
// quota stays used up.
func TestReloadKeepsUsage(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	v1 := modelList(dep("gpt-3.5-turbo", "a", az(up.URL)+", rpm: 2"))
	g := startGateway(t, v1, Options{})
	for i, want := range []int{200, 200, 429} {
		if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "gpt-3.5-turbo")); resp.StatusCode != want {
			t.Fatalf("request %d: got %d %s, want %d", i+1, resp.StatusCode, b, want)
		}
	}
	other := startUpstream(t, fake.Options{})
	if err := g.srv.Reload(mustParse(t, v1+dep("other", "b", az(other.URL)))); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "gpt-3.5-turbo")); resp.StatusCode != 429 {
		t.Errorf("after reload: got %d %s, want 429 (rpm 2 still used up)", resp.StatusCode, b)
	}
	if n := up.h.Count(); n != 2 {
		t.Errorf("upstream requests: got %d, want 2", n)
	}
}

// TestReloadCooldownState: cooldown state survives a reload with the same cooldown policy and
// is reset (with a log line) when the policy changes.
func TestReloadCooldownState(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	list := modelList(dep("gpt-3.5-turbo", "a", az(up.URL)), dep("gpt-3.5-turbo", "b", az(up.URL)))
	g := startGateway(t, list+"router_settings: {allowed_fails: 0, cooldown_time: 60}\n", Options{})
	if d := g.srv.current().cooldowns.Failure("a", cooldown.Server, 0, 2, nil); d <= 0 {
		t.Fatalf("Failure started no cooldown (got %v); the test needs one", d)
	}
	other := dep("other", "c", az(up.URL))
	if err := g.srv.Reload(mustParse(t, list+other+"router_settings: {allowed_fails: 0, cooldown_time: 60}\n")); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if g.srv.current().cooldowns.Until("a").IsZero() {
		t.Error("same policy: deployment a's cooldown was lost on reload")
	}
	if strings.Contains(g.logs.String(), "cooldown state of every deployment was reset") {
		t.Error("same policy: logged a cooldown reset")
	}
	if err := g.srv.Reload(mustParse(t, list+"router_settings: {allowed_fails: 0, cooldown_time: 30}\n")); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if !g.srv.current().cooldowns.Until("a").IsZero() {
		t.Error("new cooldown_time: deployment a still cooling, want the state reset")
	}
	if !strings.Contains(g.logs.String(), "cooldown state of every deployment was reset") {
		t.Errorf("new policy: no reset logged:\n%s", g.logs)
	}
}

// TestReloadAppliesSettings: master_key and the body limit change on reload; json_logs needs a
// restart and is logged as not applied.
func TestReloadAppliesSettings(t *testing.T) {
	up := startUpstream(t, fake.Options{})
	list := modelList(dep("gpt-3.5-turbo", "a", az(up.URL)))
	g := startGateway(t, list, Options{})
	body := fmt.Sprintf(`{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":%q}]}`, strings.Repeat("x", 2<<20))
	if resp, _ := g.post(t, "/v1/chat/completions", body); resp.StatusCode != 200 {
		t.Fatalf("2 MiB body under the default 10 MB limit: got %d, want 200", resp.StatusCode)
	}
	v2 := list + "general_settings: {master_key: sk-reloaded, max_request_size_mb: 1}\nlitellm_settings: {json_logs: true}\n"
	if err := g.srv.Reload(mustParse(t, v2)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	tests := []struct {
		name   string
		body   string
		header []string
		want   int
	}{
		{"no key", fmt.Sprintf(chat, "gpt-3.5-turbo"), nil, http.StatusUnauthorized},
		{"new key", fmt.Sprintf(chat, "gpt-3.5-turbo"), []string{"Authorization", "Bearer sk-reloaded"}, 200},
		{"body over the new limit", body, []string{"Authorization", "Bearer sk-reloaded"}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		if resp, b := g.post(t, "/v1/chat/completions", tt.body, tt.header...); resp.StatusCode != tt.want {
			t.Errorf("%s: got %d %.200s, want %d", tt.name, resp.StatusCode, b, tt.want)
		}
	}
	if logs := g.logs.String(); !strings.Contains(logs, "not applied") || !strings.Contains(logs, "json_logs") {
		t.Errorf("logs do not say json_logs needs a restart:\n%s", logs)
	}
}
