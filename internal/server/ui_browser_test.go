package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchyard/switchyard/internal/fake"
)

// chromiumPath finds headless Chromium (Debian's chromium). Missing, the test is skipped on a
// developer machine and fails in CI (CI set), where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (CI is set): .ci/run should have installed it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed; install it (apt-get install chromium) to run the dashboard browser test")
	return ""
}

// browser starts a fresh headless Chromium and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1480, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// within runs action with a timeout and returns its value; it fails the test naming what was
// awaited.
func within[T any](t *testing.T, ctx context.Context, d time.Duration, what string, action chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := chromedp.Run(tctx, action)
	if err != nil {
		t.Fatalf("%s (within %v): %v", what, d, err)
	}
	return v
}

// The dashboard in a real browser: it asks for the master key, shows every deployment, shows
// one pushed into cooldown by a failing upstream as cooling within two seconds, and one failing
// its health checks as unhealthy. It takes a screenshot; with SWITCHYARD_UI_SCREENSHOT=path it
// runs half a minute of traffic first and writes the screenshot there (docs/ui.png is made so).
func TestDashboardInBrowser(t *testing.T) {
	shot := os.Getenv("SWITCHYARD_UI_SCREENSHOT")
	ok := startSwitchableWith(t, fake.Options{Name: "ok", Latency: 40 * time.Millisecond}, 60*time.Millisecond)
	flaky := startSwitchableWith(t, fake.Options{Name: "flaky", Latency: 110 * time.Millisecond}, 150*time.Millisecond)
	sick := startSwitchable(t, "sick")
	sick.broken.Store(true)
	srv, logs := newServer(t, fmt.Sprintf(uiYAML, ok.URL, flaky.URL, sick.URL, ok.URL,
		"  background_health_checks: true\n  health_check_interval: 0.5\n"), Options{})
	s := serve(t, srv, logs)
	eventually(t, 10*time.Second, func() bool { return srv.health.Unhealthy("japan-sick") }, "japan-sick to fail its health checks")

	ctx := browser(t)
	within(t, ctx, 20*time.Second, "the page to load", chromedp.Navigate(s.url+"/ui"))
	within(t, ctx, 5*time.Second, "the page to ask for the key", chromedp.WaitVisible(chromedp.CSS(`#key`)))
	within(t, ctx, 5*time.Second, "typing the key", chromedp.SendKeys(chromedp.CSS(`#key`), "sk-master-ui"))
	within(t, ctx, 5*time.Second, "submitting the key", chromedp.Click(chromedp.CSS(`#loginform button`)))
	within(t, ctx, 5*time.Second, "the deployments to show", chromedp.WaitVisible(chromedp.CSS(`[data-deployment="embed-1"]`)))
	ids := within(t, ctx, 5*time.Second, "reading the deployments shown",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-deployment]")].map(e => e.dataset.deployment)`))
	if got := strings.Join(ids, ","); got != "eastus-ok,westeu-flaky,japan-sick,embed-1" {
		t.Fatalf("deployments shown: got %s, want all four in config order", got)
	}
	within(t, ctx, 3*time.Second, "japan-sick to be shown unhealthy",
		chromedp.WaitVisible(chromedp.CSS(`[data-deployment="japan-sick"][data-state="unhealthy"]`)))
	text := within(t, ctx, 3*time.Second, "reading japan-sick's state",
		chromedp.Text(chromedp.CSS(`[data-deployment="japan-sick"] .state`)))
	if !strings.Contains(text, "Unhealthy") || !strings.Contains(text, "500") {
		t.Errorf("japan-sick's state cell: got %q, want Unhealthy with the probe's error", text)
	}

	// Traffic for the charts, in the background for the rest of the test.
	trafficCtx, stopTraffic := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stopTraffic(); wg.Wait() }()
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := freshClient()
			for i := 0; trafficCtx.Err() == nil; i++ {
				group := "gpt-4o"
				if (i+w)%4 == 0 {
					group = "embed"
				}
				req, _ := http.NewRequestWithContext(trafficCtx, http.MethodPost, s.url+"/v1/chat/completions",
					strings.NewReader(fmt.Sprintf(chat, group)))
				if group == "embed" {
					req, _ = http.NewRequestWithContext(trafficCtx, http.MethodPost, s.url+"/v1/embeddings",
						strings.NewReader(`{"model":"embed","input":"hello"}`))
				}
				req.Header.Set("Authorization", "Bearer sk-master-ui")
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
				time.Sleep(time.Duration(100+(i*37+w*53)%300) * time.Millisecond)
			}
		}()
	}
	if shot != "" {
		time.Sleep(25 * time.Second)
	}

	// Push westeu-flaky into cooldown: its client requests now answer 429.
	flaky.failClients.Store(http.StatusTooManyRequests)
	eventually(t, 10*time.Second, func() bool { return srv.current().cooldowns.Until("westeu-flaky").After(time.Now()) },
		"westeu-flaky to cool down")
	cooled := time.Now()
	within(t, ctx, 2*time.Second, "westeu-flaky to be shown cooling within two seconds of its cooldown",
		chromedp.WaitVisible(chromedp.CSS(`[data-deployment="westeu-flaky"][data-state="cooling"]`)))
	t.Logf("cooldown shown %v after it began", time.Since(cooled).Round(time.Millisecond))
	text = within(t, ctx, 3*time.Second, "reading westeu-flaky's state",
		chromedp.Text(chromedp.CSS(`[data-deployment="westeu-flaky"] .state`)))
	if !strings.Contains(text, "Cooling down") || !strings.Contains(text, "until") {
		t.Errorf("westeu-flaky's state cell: got %q, want Cooling down until …", text)
	}

	// The 1-minute window, then a screenshot once a poll has drawn it.
	within(t, ctx, 5*time.Second, "switching the charts to one minute", chromedp.Steps(
		chromedp.Click(chromedp.CSS(`.seg button[data-span="60"]`)),
		chromedp.Sleep(1500*time.Millisecond)))
	png := within(t, ctx, 10*time.Second, "taking the screenshot", chromedp.FullScreenshot(100))
	if len(png) < 1000 {
		t.Fatalf("screenshot: %d bytes", len(png))
	}
	path := filepath.Join(t.TempDir(), "ui.png")
	if shot != "" {
		path = shot
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
