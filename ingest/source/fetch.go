package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	defaultMaxBytes    int64 = 2 << 30
	defaultRetries           = 3
	defaultBackoff           = time.Second
	defaultUserAgent         = "commonground/dev (+open data ingest)"
	defaultIdleTimeout       = 2 * time.Minute
	maxBackoff               = time.Minute     // cap on one exponential backoff step
	maxRetryAfter            = 2 * time.Minute // a longer Retry-After ends the retries instead of blocking the run
)

// Fetcher downloads official dataset URLs into a cache directory. Safe for concurrent use by different URLs.
// Concurrent fetches of the same URL (or of URLs sharing a cache file) are serialised within the process.
//
// Each download is streamed into a hidden temporary file in CacheDir while it is hashed, synced, and then renamed
// over the cache file, so an interrupted download never leaves a partial file under the final name. A sidecar
// <cache file>.meta.json records the URL, ETag, Last-Modified, sha256, size and fetch time; the next Fetch of the
// same URL sends If-None-Match / If-Modified-Since from it and reuses the cached bytes on 304 Not Modified. When the
// server cannot be reached, or keeps failing after the retries, a cached copy is used with a warning.
//
// The zero value is not usable: CacheDir is required. Set the fields before the first call and do not change them
// afterwards.
type Fetcher struct {
	CacheDir  string        // required; created if missing (default chosen by caller: $XDG_CACHE_HOME/commonground or ~/.cache/commonground)
	Client    *http.Client  // nil -> a client with sensible timeouts (connect 15s, TLS 15s, response header 60s; no overall timeout for big bodies)
	MaxBytes  int64         // size cap per download; 0 -> 2 GiB. Exceeding it aborts, deletes the partial file, and errors.
	Retries   int           // attempts after the first for network errors, 429 and 5xx (not other 4xx); 0 -> 3, negative -> none
	Backoff   time.Duration // first backoff, doubling with jitter, honouring Retry-After; 0 -> 1s (tests set it tiny)
	Progress  io.Writer     // when non-nil and a terminal (isatty), draw a progress bar there (schollz/progressbar); otherwise nothing
	Logger    *slog.Logger  // nil -> slog.Default(); log keys snake_case
	UserAgent string        // default "commonground/dev (+open data ingest)"

	// idleTimeout aborts (and retries) a body that delivers no bytes for this long; 0 -> defaultIdleTimeout.
	// Unexported: only tests shorten it.
	idleTimeout time.Duration
}

// defaultClient is shared by every Fetcher without a Client, so connections are reused across fetches.
var defaultClient = sync.OnceValue(func() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          16,
		ForceAttemptHTTP2:     true,
	}}
})

// Fetch downloads url into the cache (or revalidates the cached copy) and describes the local file.
//
// Errors name the URL and wrap ErrOffline (server unreachable and no cached copy), ErrTooLarge (over MaxBytes), or
// the context's error when ctx ends; an HTTP failure reads like "fetch https://x/y.csv: HTTP 404 Not Found".
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Result, error) {
	if f == nil {
		return Result{}, fmt.Errorf("fetch %s: nil *source.Fetcher", rawURL)
	}
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	if f.CacheDir == "" {
		return Result{}, fmt.Errorf("fetch %s: Fetcher.CacheDir is not set", rawURL)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	dir, err := filepath.Abs(f.CacheDir)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: cache dir: %w", rawURL, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("fetch %s: create cache dir: %w", rawURL, err)
	}
	e := newCacheEntry(dir, rawURL, u.Path)
	unlock, err := lockCache(ctx, e.path)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer unlock()
	return f.fetch(ctx, rawURL, u, e)
}

// parseHTTPURL accepts only absolute http(s) URLs with a host.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("not an http(s) URL")
	}
	return u, nil
}

// failure is why one attempt did not produce a Result.
type failure struct {
	err        error         // cause, without the "fetch URL:" prefix
	retry      bool          // transient (network error, 429, 5xx): worth another attempt, or a cached copy
	offline    bool          // the server could not be reached at all
	retryAfter time.Duration // from a Retry-After header
	stale      bool          // 304, but the cached file is gone or changed: fetch again unconditionally
}

func (f *Fetcher) fetch(ctx context.Context, rawURL string, u *url.URL, e cacheEntry) (Result, error) {
	log := f.logger().With("url", rawURL)
	cached, haveCache := e.load(rawURL)
	var cond *meta // validators for a conditional request, when the cached copy is usable
	if haveCache {
		cond = &cached
	}

	retries := f.Retries
	switch {
	case retries == 0:
		retries = defaultRetries
	case retries < 0:
		retries = 0
	}

	attempts := 0
	var fl *failure
	for {
		attempts++
		var res Result
		res, fl = f.attempt(ctx, rawURL, u, e, cond)
		if fl == nil {
			return res, nil
		}
		if fl.stale {
			log.Debug("cached copy missing or changed after 304; refetching", "path", e.path)
			cond, haveCache = nil, false
			attempts--
			continue
		}
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("fetch %s: %w", rawURL, err)
		}
		if !fl.retry || attempts > retries {
			break
		}
		wait := f.backoff(attempts)
		if fl.retryAfter > 0 {
			if fl.retryAfter > maxRetryAfter {
				fl.err = fmt.Errorf("%w (server asked to retry after %s)", fl.err, fl.retryAfter)
				break
			}
			wait = fl.retryAfter
		}
		log.Warn("fetch failed; retrying", "attempt", attempts, "wait_ms", wait.Milliseconds(), "error", fl.err)
		if err := sleep(ctx, wait); err != nil {
			return Result{}, fmt.Errorf("fetch %s: %w", rawURL, err)
		}
	}

	var err error
	switch {
	case fl.offline:
		err = &offlineError{url: rawURL, host: u.Host, example: baseName(u.Path), cause: fl.err}
	case fl.retry && attempts > 1:
		err = fmt.Errorf("fetch %s: %w (gave up after %d attempts)", rawURL, fl.err, attempts)
	default:
		err = fmt.Errorf("fetch %s: %w", rawURL, fl.err)
	}
	if fl.retry && haveCache && e.matches(cached) {
		log.Warn("cannot refresh source; using cached copy", "path", e.path, "fetched_at", cached.FetchedAt, "error", err)
		res := e.result(cached)
		res.FromCache = true
		return res, nil
	}
	return Result{}, err
}

// attempt makes one request. cond, when non-nil, makes it conditional.
func (f *Fetcher) attempt(ctx context.Context, rawURL string, u *url.URL, e cacheEntry, cond *meta) (Result, *failure) {
	// reqCtx also ends when the body stalls (see download).
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Result{}, &failure{err: err}
	}
	ua := f.UserAgent
	if ua == "" {
		ua = defaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	// Store exactly the bytes the server holds: without this the transport asks for gzip and silently decodes it,
	// and a .gz file served with Content-Encoding: gzip would be cached decompressed under a .gz name.
	req.Header.Set("Accept-Encoding", "identity")
	if cond != nil {
		if cond.ETag != "" {
			req.Header.Set("If-None-Match", cond.ETag)
		}
		if cond.LastModified != "" {
			req.Header.Set("If-Modified-Since", cond.LastModified)
		}
	}

	client := f.Client
	if client == nil {
		client = defaultClient()
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, &failure{err: ctx.Err()}
		}
		return Result{}, networkFailure(err)
	}
	defer resp.Body.Close() //nolint:errcheck // response body; nothing to report

	switch code := resp.StatusCode; {
	case code == http.StatusNotModified:
		if cond == nil {
			return Result{}, &failure{err: errors.New("unexpected HTTP 304 Not Modified to an unconditional request")}
		}
		if !e.matches(*cond) {
			return Result{}, &failure{stale: true}
		}
		m := *cond
		if v := resp.Header.Get("ETag"); v != "" {
			m.ETag = v
		}
		if v := resp.Header.Get("Last-Modified"); v != "" {
			m.LastModified = v
		}
		m.FetchedAt = time.Now().UTC()
		if err := e.writeMeta(m); err != nil {
			return Result{}, &failure{err: err}
		}
		f.logger().Debug("source not modified", "url", rawURL, "path", e.path, "bytes", m.Bytes)
		res := e.result(m)
		res.NotModified = true
		return res, nil

	case code >= 200 && code < 300:
		return f.download(ctx, reqCtx, cancel, rawURL, u, e, resp, start)

	case code == http.StatusTooManyRequests || code >= 500:
		drain(resp.Body)
		return Result{}, &failure{
			err:        statusError(resp),
			retry:      true,
			retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}

	default:
		drain(resp.Body)
		return Result{}, &failure{err: statusError(resp)}
	}
}

// errStalled is the cancellation cause when a body makes no progress for the idle timeout.
var errStalled = errors.New("download stalled")

// download streams a 2xx body into a temporary file while hashing it, then commits it to the cache.
func (f *Fetcher) download(ctx, reqCtx context.Context, cancel context.CancelCauseFunc, rawURL string, u *url.URL,
	e cacheEntry, resp *http.Response, start time.Time) (_ Result, fl *failure) {
	maxBytes := f.MaxBytes
	if maxBytes <= 0 {
		maxBytes = defaultMaxBytes
	}
	tooLarge := &failure{err: &msgError{msg: "exceeds size cap of " + formatBytes(maxBytes), wrapped: ErrTooLarge}}
	if resp.ContentLength > maxBytes {
		return Result{}, tooLarge
	}

	tmp, err := e.createTemp()
	if err != nil {
		return Result{}, &failure{err: fmt.Errorf("create temporary file: %w", err)}
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()

	bar := newProgress(f.Progress, resp.ContentLength, baseName(u.Path))
	defer func() { bar.done(fl == nil) }()

	idle := f.idleTimeout
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	stall := time.AfterFunc(idle, func() { cancel(errStalled) })
	defer stall.Stop()

	h := sha256.New()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		nr, rerr := resp.Body.Read(buf)
		if nr > 0 {
			stall.Reset(idle)
			n += int64(nr)
			if n > maxBytes {
				return Result{}, tooLarge
			}
			if _, err := tmp.Write(buf[:nr]); err != nil {
				return Result{}, &failure{err: fmt.Errorf("write temporary file: %w", err)}
			}
			h.Write(buf[:nr])
			bar.add(nr)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			switch {
			case ctx.Err() != nil:
				return Result{}, &failure{err: ctx.Err()}
			case errors.Is(context.Cause(reqCtx), errStalled):
				return Result{}, &failure{err: fmt.Errorf("%w: no data for %s after %s", errStalled, idle, formatBytes(n)), retry: true}
			default:
				return Result{}, &failure{err: fmt.Errorf("read body after %s: %w", formatBytes(n), rerr), retry: true}
			}
		}
	}

	if err := tmp.Sync(); err != nil {
		return Result{}, &failure{err: fmt.Errorf("sync temporary file: %w", err)}
	}
	if err := tmp.Close(); err != nil {
		return Result{}, &failure{err: fmt.Errorf("close temporary file: %w", err)}
	}
	m := meta{
		URL:          rawURL,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		SHA256:       hex.EncodeToString(h.Sum(nil)),
		Bytes:        n,
		FetchedAt:    time.Now().UTC(),
	}
	if err := e.commit(tmp.Name(), m); err != nil {
		return Result{}, &failure{err: err}
	}
	committed = true
	f.logger().Debug("source downloaded", "url", rawURL, "path", e.path, "bytes", n, "sha256", m.SHA256,
		"duration_ms", time.Since(start).Milliseconds())
	return e.result(m), nil
}

func (f *Fetcher) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}

// backoff is the wait before retry number n (1-based): Backoff doubled n-1 times, capped, plus up to 50% jitter.
func (f *Fetcher) backoff(n int) time.Duration {
	d := f.Backoff
	switch {
	case d == 0:
		d = defaultBackoff
	case d < 0:
		return 0
	}
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date. It returns 0 when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// networkFailure classifies a transport error: every one is retried, and those that mean the host is unreachable
// are marked offline.
func networkFailure(err error) *failure {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // its "Get \"URL\":" prefix repeats what our message already says
	}
	return &failure{err: err, retry: true, offline: isUnreachable(err)}
}

// isUnreachable reports whether err means the server could not be reached at all: name resolution failed, or
// connecting failed (refused, no route, network down, connect timeout).
func isUnreachable(err error) bool {
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && (oe.Op == "dial" || oe.Op == "proxyconnect") {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.ENETDOWN)
}

// statusError describes an unwanted HTTP status, e.g. "HTTP 404 Not Found".
func statusError(resp *http.Response) error {
	text := http.StatusText(resp.StatusCode)
	if text == "" {
		text = strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	}
	return fmt.Errorf("HTTP %d %s", resp.StatusCode, text)
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(body io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
}

// offlineError is returned when the server cannot be reached and no cached copy exists. It wraps ErrOffline and
// the transport error.
type offlineError struct {
	url, host, example string
	cause              error
}

func (e *offlineError) Error() string {
	return fmt.Sprintf("fetch %s: cannot reach %s (offline?): %v; pass a local copy instead, e.g. `commonground ingest DATASET ./%s`",
		e.url, e.host, e.cause, e.example)
}

func (e *offlineError) Unwrap() []error { return []error{ErrOffline, e.cause} }

// msgError has its own message but matches wrapped under errors.Is/As.
type msgError struct {
	msg     string
	wrapped error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.wrapped }

// formatBytes renders n in binary units with one decimal, e.g. "2.0 GiB"; below 1 KiB it is exact, e.g. "100 B".
func formatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
