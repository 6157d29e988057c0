package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/internal/fake"
)

// seedConfig is the seed's load-balancing config with the three Azure endpoints pointing at
// fake upstreams: rpm 6, 6 and 1440 (or the rpms given).
func seedConfig(eu, ca, fr string, rpm [3]int) string {
	return fmt.Sprintf(`model_list:
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-turbo-small-eu
      api_base: %s/
      api_key: key-eu
      api_version: "2024-02-01"
      rpm: %d
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-turbo-small-ca
      api_base: %s/
      api_key: key-ca
      api_version: "2024-02-01"
      rpm: %d
  - model_name: gpt-3.5-turbo
    litellm_params:
      model: azure/gpt-turbo-large
      api_base: %s/
      api_key: key-fr
      api_version: "2024-02-01"
      rpm: %d
router_settings:
  routing_strategy: simple-shuffle
  model_group_alias:
    gpt-4: gpt-3.5-turbo
    "GPT-hidden":
      model: gpt-3.5-turbo
      hidden: true
  num_retries: 2
  timeout: 30
`, eu, rpm[0], ca, rpm[1], fr, rpm[2])
}

// spread sends n requests for model from 8 concurrent clients and fails on any non-200.
func spread(t *testing.T, g *gateway, n int, model string) {
	t.Helper()
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Go(func() {
			for range jobs {
				resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, model), "Authorization", "Bearer client-secret")
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d: %s", resp.StatusCode, b)
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

func TestSeedConfigSpreadsByRPM(t *testing.T) {
	tests := []struct {
		name   string
		rpm    [3]int
		lo, hi [3]int
	}{
		// rpm 6/6/1440: the small ones expect 1000·6/1452 ≈ 4.1 each (σ ≈ 2); 0..20 is ≥ 7σ wide.
		{"seed rpm 6/6/1440", [3]int{6, 6, 1440}, [3]int{0, 0, 960}, [3]int{20, 20, 1000}},
		// equal rpm (high enough never to bind): 333 each, σ ≈ 15; ±90 is 6σ.
		{"equal rpm", [3]int{1000, 1000, 1000}, [3]int{243, 243, 243}, [3]int{423, 423, 423}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := [3]*upstream{startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})}
			g := startGateway(t, seedConfig(ups[0].URL, ups[1].URL, ups[2].URL, tt.rpm), Options{})
			spread(t, g, 1000, "gpt-3.5-turbo")
			names := [3]string{"gpt-turbo-small-eu", "gpt-turbo-small-ca", "gpt-turbo-large"}
			keys := [3]string{"key-eu", "key-ca", "key-fr"}
			total := 0
			for i, u := range ups {
				n := u.h.Count()
				total += n
				if n < tt.lo[i] || n > tt.hi[i] {
					t.Errorf("%s: got %d of 1000 requests, want %d..%d", names[i], n, tt.lo[i], tt.hi[i])
				}
				for _, r := range u.h.Requests() {
					if want := "/openai/deployments/" + names[i] + "/chat/completions"; r.Path != want {
						t.Errorf("%s: got path %q, want %q", names[i], r.Path, want)
					}
					if r.RawQuery != "api-version=2024-02-01" {
						t.Errorf("%s: got query %q, want api-version=2024-02-01", names[i], r.RawQuery)
					}
					if got := r.Header.Get("Api-Key"); got != keys[i] {
						t.Errorf("%s: got api-key %q, want %q", names[i], got, keys[i])
					}
					if got := r.Header.Get("Authorization"); got != "" {
						t.Errorf("%s: client's Authorization was forwarded: %q", names[i], got)
					}
					var body struct{ Model string }
					json.Unmarshal(r.Body, &body)
					if body.Model != names[i] {
						t.Errorf("%s: got body model %q, want the deployment name", names[i], body.Model)
					}
				}
			}
			if total != 1000 {
				t.Errorf("upstreams saw %d requests in all, want 1000", total)
			}
		})
	}
}

func TestModelResolution(t *testing.T) {
	ups := [3]*upstream{startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{}), startUpstream(t, fake.Options{})}
	g := startGateway(t, seedConfig(ups[0].URL, ups[1].URL, ups[2].URL, [3]int{60, 60, 1440}), Options{})

	// A deployment's litellm_params.model reaches only that deployment.
	for range 20 {
		resp, b := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, "azure/gpt-turbo-small-ca"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		if got := resp.Header.Get("x-litellm-model-group"); got != "gpt-3.5-turbo" {
			t.Errorf("x-litellm-model-group: got %q, want gpt-3.5-turbo", got)
		}
	}
	if a, b, c := ups[0].h.Count(), ups[1].h.Count(), ups[2].h.Count(); a != 0 || b != 20 || c != 0 {
		t.Errorf("azure/gpt-turbo-small-ca: upstream counts got %d/%d/%d, want 0/20/0", a, b, c)
	}

	// An alias, a hidden alias and the Azure-style path reach the group.
	for _, tc := range []struct{ path, model string }{
		{"/v1/chat/completions", "gpt-4"},
		{"/chat/completions", "GPT-hidden"},
		{"/openai/deployments/gpt-4/chat/completions", ""},
	} {
		resp, b := g.post(t, tc.path, fmt.Sprintf(chat, tc.model))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s model %q: status %d: %s", tc.path, tc.model, resp.StatusCode, b)
		}
		for _, h := range []string{"x-litellm-model-id", "x-litellm-model-api-base", "x-litellm-call-id",
			"x-litellm-attempted-retries", "x-litellm-response-duration-ms", "x-litellm-overhead-duration-ms"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: response lacks %s", tc.path, h)
			}
		}
	}

	// /v1/models lists the group and the visible alias, not the hidden one.
	_, b := g.get(t, "/v1/models")
	var models struct {
		Data []struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal(b, &models); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	if got := strings.Join(ids, ","); got != "gpt-3.5-turbo,gpt-4" {
		t.Errorf("/v1/models: got %s, want gpt-3.5-turbo,gpt-4", got)
	}

	// /v1/model/info lists deployments with ids and never a key.
	_, b = g.get(t, "/v1/model/info")
	if strings.Contains(string(b), "key-ca") || !strings.Contains(string(b), `"id"`) {
		t.Errorf("/v1/model/info: got %s, want ids and no keys", b)
	}

	// An id reaches that deployment only.
	var info struct {
		Data []struct {
			ModelInfo struct{ ID string } `json:"model_info"`
		} `json:"data"`
	}
	json.Unmarshal(b, &info)
	before := ups[2].h.Count()
	resp, body := g.post(t, "/v1/chat/completions", fmt.Sprintf(chat, info.Data[2].ModelInfo.ID))
	if resp.StatusCode != http.StatusOK || ups[2].h.Count() != before+1 {
		t.Errorf("by id: status %d, upstream count %d→%d, want 200 and +1: %s", resp.StatusCode, before, ups[2].h.Count(), body)
	}
}
