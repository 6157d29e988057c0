package deploy

import (
	"bytes"
	"debug/elf"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/server"
)

// Routes and port the probes must use: what Switchyard serves.
const (
	livenessPath  = "/health/liveliness"
	readinessPath = "/health/readiness"
	servingPort   = 4000
)

// obj is one decoded YAML document.
type obj = map[string]any

// get walks a path of map keys and list indexes through decoded YAML; nil when absent.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(obj)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := get(v, path...).(string); return s }

// manifests decodes every document of k8s/*.yaml, keyed "Kind/name", checking that
// kustomization.yaml lists every file.
func manifests(t *testing.T) map[string]obj {
	t.Helper()
	files, _ := filepath.Glob("k8s/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in k8s/")
	}
	out := map[string]obj{}
	kust, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k obj
	if err := yaml.Unmarshal(kust, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	listed := anyStrings(get(k, "resources"))
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(listed, filepath.Base(f)) {
			t.Errorf("kustomization.yaml does not list %s", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc obj
			if err := dec.Decode(&doc); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			key := str(doc, "kind") + "/" + str(doc, "metadata", "name")
			if str(doc, "apiVersion") == "" || strings.HasSuffix(key, "/") {
				t.Errorf("%s: document without apiVersion, kind or name: %v", f, key)
			}
			out[key] = doc
		}
	}
	return out
}

// secretEnv is the Secret's stringData: the environment the config's os.environ/ refs see.
func secretEnv(t *testing.T, m map[string]obj) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range get(m["Secret/switchyard-secrets"], "stringData").(obj) {
		env[k] = v.(string)
	}
	return env
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// TestKubernetes checks the manifests against each other and against Switchyard: the
// ConfigMap's config loads with our own loader using only the Secret's keys, names and labels
// match, and the probes hit routes Switchyard serves on the port it listens on.
func TestKubernetes(t *testing.T) {
	m := manifests(t)
	for _, want := range []string{"ConfigMap/switchyard-config", "Secret/switchyard-secrets", "Deployment/switchyard",
		"Service/switchyard", "HorizontalPodAutoscaler/switchyard", "PodDisruptionBudget/switchyard",
		"Deployment/switchyard-redis", "Service/switchyard-redis"} {
		if m[want] == nil {
			t.Errorf("missing %s", want)
		}
	}
	env := secretEnv(t, m)
	raw := str(m["ConfigMap/switchyard-config"], "data", "config.yaml")
	cfg, err := config.Parse("configmap config.yaml", []byte(raw), lookup(env))
	if err != nil {
		t.Fatalf("ConfigMap config does not load with the Secret's keys: %v", err)
	}
	if cfg.Redis == nil || cfg.Redis.Host != "switchyard-redis" || cfg.Redis.Port != 6379 || cfg.Redis.Password == "" {
		t.Errorf("config's Redis = %+v, want the switchyard-redis Service on 6379 with a password", cfg.Redis)
	}
	if p := get(m["Service/switchyard-redis"], "spec", "ports", 0, "port"); p != 6379 {
		t.Errorf("redis Service port %v, want 6379", p)
	}

	dep := m["Deployment/switchyard"]
	pod := get(dep, "spec", "template")
	labels := get(pod, "metadata", "labels").(obj)
	c := get(pod, "spec", "containers", 0)
	ports := map[string]int{}
	for _, p := range get(c, "ports").([]any) {
		ports[str(p, "name")] = get(p, "containerPort").(int)
	}
	port := func(v any) int {
		if n, ok := v.(int); ok {
			return n
		}
		return ports[v.(string)]
	}
	if ports["http"] != servingPort {
		t.Errorf("container port http = %d, want %d", ports["http"], servingPort)
	}
	args := get(c, "args").([]any)
	if i := slices.Index(args, any("--port")); i < 0 || args[i+1] != strconv.Itoa(servingPort) {
		t.Errorf("args %v do not set --port %d", args, servingPort)
	}
	for _, pr := range []struct{ probe, path string }{
		{"livenessProbe", livenessPath}, {"readinessProbe", readinessPath}, {"startupProbe", livenessPath}} {
		hg := get(c, pr.probe, "httpGet")
		if str(hg, "path") != pr.path || port(get(hg, "port")) != servingPort {
			t.Errorf("%s: got %v, want GET %s on %d", pr.probe, hg, pr.path, servingPort)
		}
	}
	if get(c, "lifecycle", "preStop") == nil {
		t.Error("no preStop delay")
	}
	if str(c, "envFrom", 0, "secretRef", "name") != "switchyard-secrets" {
		t.Error("container does not take its environment from switchyard-secrets")
	}
	if str(pod, "spec", "volumes", 0, "configMap", "name") != "switchyard-config" ||
		str(c, "volumeMounts", 0, "mountPath") != "/etc/switchyard" || !slices.Contains(args, any("/etc/switchyard/config.yaml")) {
		t.Error("the ConfigMap is not mounted where --config reads it")
	}
	if get(pod, "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("pod may run as root")
	}
	matches := func(sel any) bool {
		for k, v := range sel.(obj) {
			if labels[k] != v {
				return false
			}
		}
		return len(sel.(obj)) > 0
	}
	if !matches(get(dep, "spec", "selector", "matchLabels")) {
		t.Error("Deployment selector does not match its pod labels")
	}
	svc := m["Service/switchyard"]
	if !matches(get(svc, "spec", "selector")) || port(get(svc, "spec", "ports", 0, "targetPort")) != servingPort {
		t.Errorf("Service does not reach the pods on %d: %v", servingPort, get(svc, "spec"))
	}
	if !matches(get(m["PodDisruptionBudget/switchyard"], "spec", "selector", "matchLabels")) {
		t.Error("PodDisruptionBudget selector does not match the pods")
	}
	hpa := m["HorizontalPodAutoscaler/switchyard"]
	if str(hpa, "spec", "scaleTargetRef", "kind") != "Deployment" || str(hpa, "spec", "scaleTargetRef", "name") != "switchyard" ||
		get(hpa, "spec", "minReplicas").(int) < 2 {
		t.Errorf("HPA: got %v, want the switchyard Deployment with at least 2 replicas", get(hpa, "spec"))
	}
	rd := get(m["Deployment/switchyard-redis"], "spec", "template", "spec", "containers", 0)
	if str(rd, "env", 0, "valueFrom", "secretKeyRef", "key") != "REDIS_PASSWORD" {
		t.Error("Redis does not take its password from the Secret")
	}

	probeRoutes(t, cfg, lookup(env))
}

// probeRoutes serves cfg with Switchyard's own handler and checks both probe routes answer 200
// without credentials, readiness saying how Redis is (here unreachable: degraded, still 200).
func probeRoutes(t *testing.T, cfg *config.Config, env func(string) (string, bool)) {
	t.Helper()
	srv, err := server.New(cfg, server.Options{LookupEnv: env, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	defer srv.Close()
	for _, path := range []string{livenessPath, readinessPath} {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: got %d %s, want 200", path, rec.Code, rec.Body)
		}
		if path == readinessPath && !strings.Contains(rec.Body.String(), `"redis":`) {
			t.Errorf("GET %s: %s, want the Redis status", path, rec.Body)
		}
	}
}

// TestCompose checks compose.yaml: Redis, fakellm and two Switchyard instances, whose config
// loads with the environment compose gives them and points at those services.
func TestCompose(t *testing.T) {
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc obj
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	services := get(doc, "services").(obj)
	for _, name := range []string{"redis", "fakellm", "switchyard-a", "switchyard-b"} {
		if services[name] == nil {
			t.Fatalf("no %s service", name)
		}
	}
	fakeArgs := get(services["fakellm"], "command").([]any)
	fakePort := fakeArgs[slices.Index(fakeArgs, any("--port"))+1].(string)
	for _, name := range []string{"switchyard-a", "switchyard-b"} {
		s := services[name]
		env := map[string]string{}
		for k, v := range get(s, "environment").(obj) {
			env[k] = v.(string)
		}
		mount := str(s, "volumes", 0)
		src, dst, _ := strings.Cut(strings.TrimSuffix(mount, ":ro"), ":")
		cmd := get(s, "command").([]any)
		if i := slices.Index(cmd, any("--config")); i < 0 || cmd[i+1] != dst {
			t.Errorf("%s: --config does not read the mounted %s", name, dst)
		}
		if i := slices.Index(cmd, any("--port")); i < 0 || cmd[i+1] != strconv.Itoa(servingPort) {
			t.Errorf("%s: not listening on %d", name, servingPort)
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg, err := config.Parse(src, raw, lookup(env))
		if err != nil {
			t.Fatalf("%s: config does not load with the compose environment: %v", name, err)
		}
		if cfg.Redis == nil || cfg.Redis.Host != "redis" || string(cfg.Redis.Password) != env["REDIS_PASSWORD"] {
			t.Errorf("%s: Redis = %+v, want the redis service with REDIS_PASSWORD", name, cfg.Redis)
		}
		for _, d := range cfg.Deployments {
			if want := "http://fakellm:" + fakePort + "/v1"; d.APIBase != want {
				t.Errorf("%s: deployment %s api_base %q, want %q", name, d.ID, d.APIBase, want)
			}
		}
	}
	if !strings.Contains(strings.Join(anyStrings(get(services["redis"], "command")), " "), "--requirepass compose-redis-password") {
		t.Error("compose Redis has no password, or not the one the instances use")
	}
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// dockerfileFlags reads the Dockerfile's build: CGO_ENABLED, BUILD_FLAGS and LDFLAGS defaults.
func dockerfileFlags(t *testing.T) (cgo string, build []string, ldflags string) {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	arg := func(name string) string {
		m := regexp.MustCompile(`(?m)^(?:ARG|ENV) ` + name + `="?([^"\n]*)"?$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("Dockerfile: no ARG/ENV %s", name)
		}
		return m[1]
	}
	if !regexp.MustCompile(`(?m)^FROM gcr\.io/distroless/static\S*:nonroot$`).MatchString(text) {
		t.Error("final stage is not distroless static :nonroot")
	}
	if !regexp.MustCompile(`(?m)^USER 65532`).MatchString(text) {
		t.Error("image does not run as the non-root user 65532")
	}
	if !strings.Contains(text, `go build ${BUILD_FLAGS} -ldflags="${LDFLAGS}"`) {
		t.Error("Dockerfile does not build with BUILD_FLAGS and LDFLAGS")
	}
	return arg("CGO_ENABLED"), strings.Fields(arg("BUILD_FLAGS")), arg("LDFLAGS")
}

// TestStaticBuild builds both binaries with the Dockerfile's flags, checks they are static, and
// runs "switchyard check" on the ConfigMap's config with the Secret's environment.
func TestStaticBuild(t *testing.T) {
	cgo, build, ldflags := dockerfileFlags(t)
	if cgo != "0" || !slices.Contains(build, "-trimpath") {
		t.Errorf("got CGO_ENABLED=%s build flags %v, want 0 and -trimpath", cgo, build)
	}
	if testing.Short() {
		t.Skip("-short: not building binaries")
	}
	dir := t.TempDir()
	for _, cmd := range []string{"switchyard", "fakellm"} {
		out := filepath.Join(dir, cmd)
		args := append(append([]string{"build"}, build...), "-ldflags="+ldflags, "-o", out, "../cmd/"+cmd)
		c := exec.Command("go", args...)
		c.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
		if msg, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		f, err := elf.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked (has an ELF interpreter)", cmd)
			}
		}
		f.Close()
	}
	m := manifests(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(str(m["ConfigMap/switchyard-config"], "data", "config.yaml")), 0o600); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(filepath.Join(dir, "switchyard"), "check", "--config", cfgPath)
	c.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range secretEnv(t, m) {
		c.Env = append(c.Env, k+"="+v)
	}
	if out, err := c.CombinedOutput(); err != nil {
		t.Errorf("switchyard check on the ConfigMap config: %v\n%s", err, out)
	}
}
