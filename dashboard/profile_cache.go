package dashboard

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// profileCache keeps the profile's derived sections (maps, charts, service
// and money summaries) per warehouse version, so a busy profile costs a map
// lookup. The version is re-read at most every profileVersionTTL; a new ingest run
// or custom area empties the cache.
type profileCache struct {
	mu      sync.Mutex
	version string
	checked time.Time
	items   map[string]any
	// pinned live as long as the version, whatever the size of items.
	pinned map[string]any
	// pages are whole rendered profiles, gzipped, by their state (area,
	// indicator, services): an LRU of at most maxPageBytes.
	pages *tileCache
	// flights are sections being built: a crowd asking for the same new
	// page waits for one build instead of each making its own.
	flights map[string]*flight
}

type flight struct {
	done chan struct{}
	val  any
	err  error
}

const (
	profileVersionTTL = 5 * time.Second
	maxProfileItems   = 600 // then start again: cheaper than an LRU; about 100 areas (issue 5 memory target)
)

func (s *Server) dataVersion(ctx context.Context) (string, error) {
	// The newest run's start time tells apart two databases loaded the
	// same way (a warehouse deleted and loaded again): the page store
	// outlives the process. The custom-area count comes last (pageFile).
	var runs, maxID, started, custom int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT count(*), coalesce(max(run_id), 0), coalesce(epoch_us(max(started_at)), 0),
		(SELECT count(*) FROM areas WHERE level = 'custom') FROM ingest_runs`).Scan(&runs, &maxID, &started, &custom)
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d/%d", runs, maxID, started, custom), nil
}

// recheck makes the next cached call read the data version: after a
// change made in this process (an upload, a refresh).
func (pc *profileCache) recheck() {
	pc.mu.Lock()
	pc.checked = time.Time{}
	pc.mu.Unlock()
}

// cachedSection returns the cached value for key, computing it with f when
// missing. Errors are not cached.
func cachedSection[T any](ctx context.Context, s *Server, key string, f func(context.Context) (T, error)) (T, error) {
	return cached(ctx, s, key, false, f)
}

// cachedPinned is cachedSection for a value kept until the data changes
// (not dropped when the cache fills): the area directory.
func cachedPinned[T any](ctx context.Context, s *Server, key string, f func(context.Context) (T, error)) (T, error) {
	return cached(ctx, s, "pin|"+key, true, f)
}

func cached[T any](ctx context.Context, s *Server, key string, pin bool, f func(context.Context) (T, error)) (T, error) {
	pc := &s.prof
	pc.mu.Lock()
	if time.Since(pc.checked) > profileVersionTTL {
		pc.mu.Unlock()
		v, err := s.dataVersion(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		pc.mu.Lock()
		if v != pc.version {
			pc.version, pc.items, pc.pinned, pc.pages = v, nil, nil, nil
		}
		pc.checked = time.Now()
	}
	store := pc.items
	if pin {
		store = pc.pinned
	}
	if it, ok := store[key]; ok {
		pc.mu.Unlock()
		return it.(T), nil
	}
	if fl, ok := pc.flights[key]; ok {
		pc.mu.Unlock()
		select {
		case <-fl.done:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		if fl.err == nil || !errors.Is(fl.err, context.Canceled) && !errors.Is(fl.err, context.DeadlineExceeded) {
			return fl.val.(T), fl.err
		}
		return f(ctx) // the builder's client went away; build for this one
	}
	fl := &flight{done: make(chan struct{})}
	if pc.flights == nil {
		pc.flights = map[string]*flight{}
	}
	pc.flights[key] = fl
	pc.mu.Unlock()
	val, err := f(ctx)
	fl.val, fl.err = val, err
	pc.mu.Lock()
	delete(pc.flights, key)
	switch {
	case err != nil:
	case pin:
		if pc.pinned == nil {
			pc.pinned = map[string]any{}
		}
		pc.pinned[key] = val
	default:
		if pc.items == nil || len(pc.items) >= maxProfileItems {
			pc.items = map[string]any{}
		}
		pc.items[key] = val
	}
	pc.mu.Unlock()
	close(fl.done)
	return val, err
}

// maxPageBytes bounds the rendered pages kept (gzipped, 15-60 KB each:
// the last 500 or so pages viewed).
const maxPageBytes = 16 << 20

// cachedPage returns a rendered page's gzipped bytes (its version checked
// by a cachedSection call made before, in the same request).
func (s *Server) cachedPage(key string) ([]byte, bool) {
	s.prof.mu.Lock()
	pages := s.prof.pages
	s.prof.mu.Unlock()
	if pages == nil {
		return nil, false
	}
	return pages.get(key)
}

func (s *Server) storePage(key string, gz []byte) {
	pc := &s.prof
	pc.mu.Lock()
	if pc.pages == nil {
		pc.pages = newTileCache(maxPageBytes)
	}
	pages := pc.pages
	pc.mu.Unlock()
	pages.put(key, gz)
}

// gzipWriters are reused: a new writer allocates and clears about 1 MB of
// tables, a third of the cost of compressing a profile.
var gzipWriters = sync.Pool{New: func() any {
	// Level 3: on a 170 KB neighbourhood profile 1.6 ms and 24.6 KB, where
	// the default (6) took 3.3 ms for 22.1 KB.
	w, _ := gzip.NewWriterLevel(nil, 3)
	return w
}}

func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b)/6 + 512)
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&out)
	w.Write(b)
	w.Close()
	gzipWriters.Put(w)
	return out.Bytes()
}

// writeGzipped sends a gzipped HTML page, unzipping it for the rare client
// that does not accept gzip.
func writeGzipped(c echo.Context, gz []byte) error {
	h := c.Response().Header()
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	if strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		h.Set(echo.HeaderContentEncoding, "gzip")
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, gz)
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	c.Response().WriteHeader(http.StatusOK)
	_, err = io.Copy(c.Response(), r)
	return err
}
