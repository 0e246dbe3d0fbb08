package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	browserErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if browserCancel != nil {
		browserCancel()
	}
	if srv != nil {
		srv.Close()
	}
	if dataWH != nil {
		dataWH.Close()
	}
	if dataDir != "" {
		os.RemoveAll(dataDir)
	}
	os.Exit(code)
}

// chromiumPath finds the browser: $CHROMIUM, or chromium / chromium-browser /
// google-chrome on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return ""
		}
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// inCI reports whether the tests run in CI, where nothing may skip.
func inCI() bool { return os.Getenv("CI") != "" && os.Getenv("CI") != "false" }

// browser starts one headless Chromium for the test binary. Without a
// browser the tests skip on a developer's machine but fail in CI
// (CI=true), so CI can never pass by testing nothing.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := requireChromium(t)
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // CI runs as root
			chromedp.WindowSize(1280, 900),
			// WebGL in software, so MapLibre draws without a GPU.
			chromedp.Flag("enable-unsafe-swiftshader", true),
			chromedp.Flag("use-angle", "swiftshader"),
			chromedp.Flag("lang", "en-GB"),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		browserCtx = ctx
		browserCancel = func() { cancel(); cancelAlloc() }
		// Start the browser now, so its start-up cost is not charged to
		// the first test's timeout.
		browserErr = chromedp.Do(ctx)
	})
	if browserErr != nil {
		t.Fatalf("start chromium: %v", browserErr)
	}
	return browserCtx
}

// requireChromium returns the browser's path, or skips the test (fails it
// in CI). The tests call it before loading any data, so a skip is quick.
func requireChromium(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests start Chromium and load real data")
	}
	path := chromiumPath()
	if path == "" {
		if inCI() {
			t.Fatal("chromium not found and CI is set: .ci/run installs it with apt-get install chromium (or set $CHROMIUM)")
		}
		t.Skip("chromium not found (apt-get install --no-install-recommends chromium, or set $CHROMIUM); CI runs these tests")
	}
	return path
}

// tab opens a new tab for one test, with a time limit, and on failure
// saves a screenshot of what the page showed (see artifactDir).
func tab(t *testing.T) context.Context {
	t.Helper()
	bctx := browser(t)
	// A browser context of its own, like a private window: no cache or
	// storage carried over from another test (a cached tile would not be
	// fetched again).
	tabCtx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(tabCtx, 180*time.Second)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			sctx, cancelS := context.WithTimeout(tabCtx, 10*time.Second)
			saveFailure(t, sctx)
			cancelS()
		}
		cancelT()
		cancel()
	})
	return ctx
}

// artifactDir is where failure screenshots go: $BROWSER_ARTIFACTS, or
// commonground-browser in the temporary directory.
func artifactDir() string {
	if d := os.Getenv("BROWSER_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "commonground-browser")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func saveFailure(t *testing.T, ctx context.Context) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no failure screenshot: %v", err)
		return
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	dir := artifactDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("no failure screenshot: %v", err)
		return
	}
	name := filepath.Join(dir, unsafeName.ReplaceAllString(t.Name(), "_")+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		t.Logf("no failure screenshot: %v", err)
		return
	}
	t.Logf("failure screenshot of %s: %s", loc, name)
}

// shot saves a screenshot of the whole page when BROWSER_SCREENSHOTS names
// a directory (for checking the pages by eye; see docs/TESTING.md).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BROWSER_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// open navigates to a path on the test server and waits for the page to
// load, failing on an HTTP error status.
func open(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(server(t).URL+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if res.Status >= 400 {
		t.Fatalf("open %s: HTTP %d", path, res.Status)
	}
}

// eval evaluates JavaScript in the page through the DevTools protocol,
// which the page's Content-Security-Policy does not apply to.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, ctx context.Context, what, js string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") {
			t.Fatalf("waited %v for %s: %v", timeout, what, err)
		}
		t.Fatalf("wait for %s: %v", what, err)
	}
}

// pageErrors collects uncaught exceptions and console errors from a tab,
// so a test can fail on a page that throws.
type pageErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (p *pageErrors) add(s string) { p.mu.Lock(); p.msgs = append(p.msgs, s); p.mu.Unlock() }

func (p *pageErrors) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

func watchErrors(ctx context.Context) *pageErrors {
	pe := &pageErrors{}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				pe.add(fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
			}
		}
	}()
	return pe
}
