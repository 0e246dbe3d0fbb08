package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newFetcher returns a Fetcher for tests: fresh cache dir, tiny backoff, logs into the returned buffer.
func newFetcher(t *testing.T) (*Fetcher, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	return &Fetcher{
		CacheDir: filepath.Join(t.TempDir(), "cache"),
		Backoff:  time.Millisecond,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, logs
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (the logger).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dirNames lists the names in dir (none if it does not exist).
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// assertNoTempFiles fails if a temporary download file is left in dir.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	for _, name := range dirNames(t, dir) {
		if strings.HasSuffix(name, ".part") {
			t.Errorf("temporary file left behind: %s", name)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestFetchETagNotModified(t *testing.T) {
	t.Parallel()
	body := []byte("code,name\nE06000001,Hartlepool\n")
	var full, conditional atomic.Int32
	var gotUA atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.Header.Get("User-Agent"))
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	url := srv.URL + "/data/lad%20codes.csv?x=1"

	first, err := f.Fetch(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || first.FromCache {
		t.Errorf("first fetch: NotModified=%v FromCache=%v, want both false", first.NotModified, first.FromCache)
	}
	if first.SHA256 != sha256Hex(body) || first.Bytes != int64(len(body)) || first.ETag != `"v1"` || first.Source != url {
		t.Errorf("first fetch: got %+v", first)
	}
	if first.FetchedAt.IsZero() {
		t.Error("first fetch: FetchedAt is zero")
	}
	if got, _ := os.ReadFile(first.Path); !bytes.Equal(got, body) {
		t.Errorf("cache file holds %q, want %q", got, body)
	}
	if dir := filepath.Dir(first.Path); dir != f.CacheDir {
		t.Errorf("cache file in %s, want %s", dir, f.CacheDir)
	}
	// Layout: <16 hex of sha256(url)>-<sanitised base name>, plus the sidecar.
	wantName := sha256Hex([]byte(url))[:16] + "-lad_codes.csv"
	if got := filepath.Base(first.Path); got != wantName {
		t.Errorf("cache file name %q, want %q", got, wantName)
	}
	var m map[string]any
	raw, err := os.ReadFile(first.Path + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "etag", "last_modified", "sha256", "bytes", "fetched_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("sidecar lacks %q: %s", k, raw)
		}
	}
	if m["url"] != url || m["etag"] != `"v1"` || m["sha256"] != first.SHA256 {
		t.Errorf("sidecar = %s", raw)
	}
	if ua, _ := gotUA.Load().(string); ua != defaultUserAgent {
		t.Errorf("User-Agent %q, want %q", ua, defaultUserAgent)
	}

	second, err := f.Fetch(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || second.FromCache {
		t.Errorf("second fetch: NotModified=%v FromCache=%v, want true, false", second.NotModified, second.FromCache)
	}
	if second.Path != first.Path || second.SHA256 != first.SHA256 || second.Bytes != first.Bytes || second.ETag != `"v1"` {
		t.Errorf("second fetch: got %+v, want the cached copy %+v", second, first)
	}
	if full.Load() != 1 || conditional.Load() != 1 {
		t.Errorf("server saw %d full and %d conditional requests, want 1 and 1", full.Load(), conditional.Load())
	}
	assertNoTempFiles(t, f.CacheDir)
}

func TestFetchLastModified(t *testing.T) {
	t.Parallel()
	const lastMod = "Wed, 21 Oct 2015 07:28:00 GMT"
	var conditional, sawETagHeader atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			sawETagHeader.Add(1)
		}
		if r.Header.Get("If-Modified-Since") == lastMod {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lastMod)
		_, _ = w.Write([]byte("payload"))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	first, err := f.Fetch(t.Context(), srv.URL+"/p.csv")
	if err != nil {
		t.Fatal(err)
	}
	if first.LastModified != lastMod || first.NotModified {
		t.Errorf("first fetch: %+v", first)
	}
	second, err := f.Fetch(t.Context(), srv.URL+"/p.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || second.SHA256 != sha256Hex([]byte("payload")) || second.LastModified != lastMod {
		t.Errorf("second fetch: %+v", second)
	}
	if conditional.Load() != 1 || sawETagHeader.Load() != 0 {
		t.Errorf("conditional requests = %d (want 1), If-None-Match sent %d times (want 0)", conditional.Load(), sawETagHeader.Load())
	}
}

func TestFetchRefetchesWhenCacheFileChanged(t *testing.T) {
	t.Parallel()
	var conditional, full atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"e"`)
		_, _ = w.Write([]byte("0123456789"))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	first, err := f.Fetch(t.Context(), srv.URL+"/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	// A truncated cache file must not be trusted on 304.
	if err := os.WriteFile(first.Path, []byte("01234"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := f.Fetch(t.Context(), srv.URL+"/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if second.NotModified || second.Bytes != 10 {
		t.Errorf("after truncation: %+v, want a full refetch of 10 bytes", second)
	}
	// A deleted cache file likewise.
	if err := os.Remove(first.Path); err != nil {
		t.Fatal(err)
	}
	third, err := f.Fetch(t.Context(), srv.URL+"/a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if third.NotModified {
		t.Errorf("after deletion: NotModified, want a full refetch")
	}
	if got, _ := os.ReadFile(third.Path); string(got) != "0123456789" {
		t.Errorf("cache file holds %q", got)
	}
	if conditional.Load() != 0 || full.Load() != 3 {
		t.Errorf("server saw %d conditional and %d full requests, want 0 and 3", conditional.Load(), full.Load())
	}
}

func TestFetchRefetchesWhenCacheChangesDuringRevalidation(t *testing.T) {
	t.Parallel()
	var cachePath atomic.Value
	var conditional, full atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			conditional.Add(1)
			// The cached file is damaged after the client checked it but before the 304 arrives.
			if err := os.WriteFile(cachePath.Load().(string), []byte("x"), 0o644); err != nil {
				t.Error(err)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"e"`)
		_, _ = w.Write([]byte("full body"))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	first, err := f.Fetch(t.Context(), srv.URL+"/d.csv")
	if err != nil {
		t.Fatal(err)
	}
	cachePath.Store(first.Path)
	second, err := f.Fetch(t.Context(), srv.URL+"/d.csv")
	if err != nil {
		t.Fatal(err)
	}
	if second.NotModified || second.Bytes != int64(len("full body")) {
		t.Errorf("got %+v, want an unconditional refetch", second)
	}
	if got, _ := os.ReadFile(second.Path); string(got) != "full body" {
		t.Errorf("cache file holds %q", got)
	}
	if conditional.Load() != 1 || full.Load() != 2 {
		t.Errorf("server saw %d conditional and %d full requests, want 1 and 2", conditional.Load(), full.Load())
	}
}

func TestFetchReplacesChangedContent(t *testing.T) {
	t.Parallel()
	var version atomic.Int32
	version.Store(1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := fmt.Sprintf(`"v%d"`, version.Load())
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		_, _ = fmt.Fprintf(w, "content version %d", version.Load())
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	if _, err := f.Fetch(t.Context(), srv.URL+"/c.csv"); err != nil {
		t.Fatal(err)
	}
	version.Store(2)
	res, err := f.Fetch(t.Context(), srv.URL+"/c.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("content version 2")
	if res.NotModified || res.ETag != `"v2"` || res.SHA256 != sha256Hex(want) {
		t.Errorf("got %+v, want the new version", res)
	}
	if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, want) {
		t.Errorf("cache file holds %q, want %q", got, want)
	}
	if names := dirNames(t, f.CacheDir); len(names) != 2 {
		t.Errorf("cache dir holds %v, want one file and its sidecar", names)
	}
}

func TestFetchRetriesTransientStatus(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			var attempts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if attempts.Add(1) <= 2 {
					http.Error(w, "try later", code)
					return
				}
				_, _ = w.Write([]byte("ok"))
			}))
			defer srv.Close()
			f, logs := newFetcher(t)

			res, err := f.Fetch(t.Context(), srv.URL+"/r.csv")
			if err != nil {
				t.Fatal(err)
			}
			if res.SHA256 != sha256Hex([]byte("ok")) {
				t.Errorf("got %+v", res)
			}
			if n := attempts.Load(); n != 3 {
				t.Errorf("server saw %d attempts, want 3", n)
			}
			if !strings.Contains(logs.String(), "retrying") {
				t.Errorf("no retry logged: %s", logs)
			}
		})
	}
}

func TestFetchGivesUpAfterRetries(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.Retries = 2

	_, err := f.Fetch(t.Context(), srv.URL+"/r.csv")
	if err == nil {
		t.Fatal("want an error")
	}
	want := "fetch " + srv.URL + "/r.csv: HTTP 503 Service Unavailable (gave up after 3 attempts)"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("server saw %d attempts, want 3 (1 + Retries)", n)
	}
}

func TestFetchNoRetryOn404(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	url := srv.URL + "/x/y.csv"
	_, err := f.Fetch(t.Context(), url)
	if err == nil {
		t.Fatal("want an error")
	}
	if want := "fetch " + url + ": HTTP 404 Not Found"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if errors.Is(err, ErrOffline) {
		t.Error("a 404 must not count as offline")
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("server saw %d attempts, want 1", n)
	}
	if names := dirNames(t, f.CacheDir); len(names) != 0 {
		t.Errorf("cache dir holds %v after a 404", names)
	}
}

func TestFetch404WithCacheFails(t *testing.T) {
	t.Parallel()
	var gone atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("x"))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	if _, err := f.Fetch(t.Context(), srv.URL+"/g.csv"); err != nil {
		t.Fatal(err)
	}
	gone.Store(true)
	// A source that is gone is an error to report, not a transient failure to paper over with the cache.
	if res, err := f.Fetch(t.Context(), srv.URL+"/g.csv"); err == nil {
		t.Errorf("got %+v, want HTTP 404 error", res)
	}
}

func TestFetchHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	f, _ := newFetcher(t) // Backoff is 1ms: only Retry-After can explain a 1s gap

	if _, err := f.Fetch(t.Context(), srv.URL+"/ra.csv"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < 950*time.Millisecond {
		t.Errorf("retried after %s, want at least the 1s Retry-After", gap)
	}
}

func TestFetchLongRetryAfterStopsRetrying(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	start := time.Now()
	_, err := f.Fetch(t.Context(), srv.URL+"/ra.csv")
	if err == nil || !strings.Contains(err.Error(), "retry after 1h0m0s") {
		t.Errorf("error %v, want one mentioning the requested delay", err)
	}
	if attempts.Load() != 1 || time.Since(start) > 10*time.Second {
		t.Errorf("attempts=%d after %s, want 1 and no long wait", attempts.Load(), time.Since(start))
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"7", 7 * time.Second},
		{" 2 ", 2 * time.Second},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestBackoffDoublesWithJitter(t *testing.T) {
	t.Parallel()
	f := &Fetcher{Backoff: 100 * time.Millisecond}
	for n, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 20: maxBackoff} {
		seen := make(map[time.Duration]bool)
		for range 50 {
			got := f.backoff(n)
			if got < base || got > base+base/2 {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, got, base, base+base/2)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) always %s: no jitter", n, base)
		}
	}
	if got := (&Fetcher{}).backoff(1); got < defaultBackoff {
		t.Errorf("default first backoff %s, want >= %s", got, defaultBackoff)
	}
}

func TestFetchSizeCapContentLength(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		// Announce a large body, send a little, then stall: a client that reads the body before checking
		// Content-Length hangs here until the test's deadline instead of failing fast with ErrTooLarge.
		w.Header().Set("Content-Length", "1000000")
		_, _ = w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.MaxBytes = 1000

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	url := srv.URL + "/big.csv"
	_, err := f.Fetch(ctx, url)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if want := "fetch " + url + ": exceeds size cap of 1000 B"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if attempts.Load() != 1 {
		t.Errorf("server saw %d attempts, want 1 (too large is not retried)", attempts.Load())
	}
	if names := dirNames(t, f.CacheDir); len(names) != 0 {
		t.Errorf("cache dir holds %v, want nothing", names)
	}
}

func TestFetchSizeCapChunked(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		chunk := bytes.Repeat([]byte("x"), 4096)
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.MaxBytes = 10000

	_, err := f.Fetch(t.Context(), srv.URL+"/stream.csv")
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "exceeds size cap of 9.8 KiB") {
		t.Errorf("error %q lacks the cap", err)
	}
	if attempts.Load() != 1 {
		t.Errorf("server saw %d attempts, want 1", attempts.Load())
	}
	if names := dirNames(t, f.CacheDir); len(names) != 0 {
		t.Errorf("cache dir holds %v, want nothing", names)
	}
}

func TestFetchBodyWithinCap(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte("y"), 10000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.MaxBytes = int64(len(body)) // exactly at the cap is allowed

	res, err := f.Fetch(t.Context(), srv.URL+"/exact.csv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != int64(len(body)) || res.SHA256 != sha256Hex(body) {
		t.Errorf("got %+v", res)
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB",
		defaultMaxBytes: "2.0 GiB", 3 << 40: "3.0 TiB", 5000 << 40: "5000.0 TiB",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFetchOffline(t *testing.T) {
	t.Parallel()
	f, _ := newFetcher(t)
	f.Retries = 1
	url := "http://" + closedAddr(t) + "/x/y.csv"

	_, err := f.Fetch(t.Context(), url)
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("error %v, want ErrOffline", err)
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{"fetch " + url + ": cannot reach ", "offline", "local copy", "./y.csv", "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if names := dirNames(t, f.CacheDir); len(names) != 0 {
		t.Errorf("cache dir holds %v", names)
	}
}

func TestIsUnreachable(t *testing.T) {
	t.Parallel()
	dns := &net.DNSError{Err: "no such host", Name: "example.invalid", IsNotFound: true}
	if !isUnreachable(dns) {
		t.Error("DNS failure should count as unreachable")
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}
	if !isUnreachable(fmt.Errorf("wrapped: %w", dial)) {
		t.Error("dial failure should count as unreachable")
	}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	if isUnreachable(read) {
		t.Error("a reset while reading is a network error, not offline")
	}
}

func TestFetchOfflineUsesCache(t *testing.T) {
	t.Parallel()
	body := []byte("cached,bytes\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"c"`)
		_, _ = w.Write(body)
	}))
	f, logs := newFetcher(t)
	url := srv.URL + "/o.csv"
	first, err := f.Fetch(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // now the port refuses connections

	res, err := f.Fetch(t.Context(), url)
	if err != nil {
		t.Fatalf("want the cached copy, got %v", err)
	}
	if !res.FromCache || res.NotModified {
		t.Errorf("FromCache=%v NotModified=%v, want true, false", res.FromCache, res.NotModified)
	}
	if res.Path != first.Path || res.SHA256 != sha256Hex(body) || res.Bytes != int64(len(body)) || res.Source != url {
		t.Errorf("got %+v, want the cached copy %+v", res, first)
	}
	if !res.FetchedAt.Equal(first.FetchedAt) {
		t.Errorf("FetchedAt %s, want the original download time %s", res.FetchedAt, first.FetchedAt)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "cached copy") {
		t.Errorf("no warning logged: %s", logs)
	}
}

func TestFetchExhaustedRetriesUsesCache(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			attempts.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("v"))
	}))
	defer srv.Close()
	f, logs := newFetcher(t)
	f.Retries = 2
	if _, err := f.Fetch(t.Context(), srv.URL+"/e.csv"); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)

	res, err := f.Fetch(t.Context(), srv.URL+"/e.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !res.FromCache || res.SHA256 != sha256Hex([]byte("v")) {
		t.Errorf("got %+v, want the cached copy", res)
	}
	if attempts.Load() != 3 {
		t.Errorf("server saw %d failing attempts, want 3", attempts.Load())
	}
	if !strings.Contains(logs.String(), "HTTP 500") {
		t.Errorf("warning does not give the cause: %s", logs)
	}
}

func TestFetchCancelMidBody(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write(bytes.Repeat([]byte("z"), 5000))
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-started
		time.Sleep(50 * time.Millisecond) // let the client write the first bytes to its temporary file
		cancel()
	}()
	start := time.Now()
	_, err := f.Fetch(ctx, srv.URL+"/slow.csv")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %s", time.Since(start))
	}
	if names := dirNames(t, f.CacheDir); len(names) != 0 {
		t.Errorf("cache dir holds %v after cancellation, want nothing", names)
	}
}

func TestFetchCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.Backoff = 20 * time.Second // a sleep that ignored ctx would blow the 5s bound below

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, srv.URL+"/b.csv")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %s, want prompt return during the backoff sleep", d)
	}
	if attempts.Load() != 1 {
		t.Errorf("server saw %d attempts, want 1", attempts.Load())
	}
}

func TestFetchStalledBody(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.Retries = 1
	f.idleTimeout = 100 * time.Millisecond

	_, err := f.Fetch(t.Context(), srv.URL+"/stall.csv")
	if !errors.Is(err, errStalled) {
		t.Fatalf("error %v, want a stalled-download error", err)
	}
	if attempts.Load() != 2 {
		t.Errorf("server saw %d attempts, want 2 (a stall is retried)", attempts.Load())
	}
	if names := dirNames(t, f.CacheDir); len(names) != 0 {
		t.Errorf("cache dir holds %v", names)
	}
}

func TestFetchStoresBytesAsServed(t *testing.T) {
	t.Parallel()
	gz := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	var acceptEncoding atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acceptEncoding.Store(r.Header.Get("Accept-Encoding"))
		// A misconfigured server labelling a .gz file as gzip-encoded.
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gz)
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	res, err := f.Fetch(t.Context(), srv.URL+"/b.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, gz) {
		t.Errorf("cached %x, want the served bytes %x", got, gz)
	}
	if ae, _ := acceptEncoding.Load().(string); ae != "identity" {
		t.Errorf("Accept-Encoding %q, want identity", ae)
	}
}

func TestFetchProgressNotOnNonTerminal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("p"), 300000))
	}))
	defer srv.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "progress.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var buf bytes.Buffer
	for _, w := range []interface {
		Write([]byte) (int, error)
	}{&buf, file} {
		f, _ := newFetcher(t)
		f.Progress = w
		if _, err := f.Fetch(t.Context(), srv.URL+"/p.csv"); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("progress written to a buffer: %q", buf.String())
	}
	if info, err := file.Stat(); err != nil || info.Size() != 0 {
		t.Errorf("progress written to a regular file (size %d, err %v)", info.Size(), err)
	}
}

func TestFetchConcurrentURLs(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"`+r.URL.Path+`"`)
		_, _ = w.Write([]byte("body of " + r.URL.Path))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			p := fmt.Sprintf("/f%d.csv", i%8) // each URL twice, concurrently
			res, err := f.Fetch(t.Context(), srv.URL+p)
			if err != nil {
				errs <- err
				return
			}
			if res.SHA256 != sha256Hex([]byte("body of "+p)) {
				errs <- fmt.Errorf("%s: wrong hash", p)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if names := dirNames(t, f.CacheDir); len(names) != 16 {
		t.Errorf("cache dir holds %d entries, want 8 files + 8 sidecars: %v", len(names), names)
	}
	assertNoTempFiles(t, f.CacheDir)
}

func TestFetchRejectsBadInput(t *testing.T) {
	t.Parallel()
	f, _ := newFetcher(t)
	if _, err := f.Fetch(t.Context(), "ftp://example.invalid/x.csv"); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := (&Fetcher{}).Fetch(t.Context(), "http://127.0.0.1:1/x.csv"); err == nil || !strings.Contains(err.Error(), "CacheDir") {
		t.Errorf("missing CacheDir: error %v", err)
	}
}

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"lad codes.csv":                       "lad_codes.csv",
		"a/b":                                 "a_b",
		"":                                    "download",
		"..":                                  "download",
		"ok-name_1.json":                      "ok-name_1.json",
		"café.csv":                            "caf_.csv",
		strings.Repeat("n", 100) + ".json.gz": strings.Repeat("n", 72) + ".json.gz",
	} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"": "download", "/": "download", "/a/": "a", "/a/b%20c.csv": "b_20c.csv"} {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q) = %q, want %q", in, got, want)
		}
	}
}
