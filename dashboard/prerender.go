package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// prerenderState is what /readyz reports of Prerender.
type prerenderState struct {
	stored, total atomic.Int64
	done          atomic.Bool
}

// pageFile returns the page store's file for the current data version and
// build, or nil when pages are not stored. The version is the one the
// profile cache last read (the area lookup before it re-reads it), less
// the count of custom areas: a new custom area changes no other profile,
// and custom areas' own profiles are not stored (keepPage), so residents
// drawing areas do not make every profile be drawn again.
func (s *Server) pageFile() *pageFile {
	if s.pages == nil {
		return nil
	}
	s.prof.mu.Lock()
	v := s.prof.version
	s.prof.mu.Unlock()
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		return nil
	}
	pf, err := s.pages.file(v + "|" + s.build)
	if err != nil {
		s.pageErrOnce.Do(func() { s.log.Warn("page store: profiles are drawn for each visit", "err", err) })
		return nil
	}
	return pf
}

// storedPage returns a profile page drawn before for this data version:
// from memory, or from the page store.
func (s *Server) storedPage(key string) ([]byte, bool) {
	if gz, ok := s.cachedPage(key); ok {
		return gz, true
	}
	return s.pageFile().get(key)
}

// keepPage keeps a drawn profile page: the default view of an area in the
// page store, when there is one, and other views (another indicator or
// services on the map) and custom areas' profiles in memory.
func (s *Server) keepPage(key string, gz []byte) {
	if pf := s.pageFile(); pf != nil && key == s.defaultProfileKey(key) && !strings.HasPrefix(key[strings.IndexByte(key, '|')+1:], "custom|") {
		if err := pf.put(key, gz); err != nil {
			s.log.Warn("page store", "err", err)
		}
		return
	}
	s.storePage(key, gz)
}

// defaultProfileKey is the key of the default view of the area named by a
// profile key (code|level|indicator|services).
func (s *Server) defaultProfileKey(key string) string {
	s.defaultStateOnce.Do(func() {
		id, svc := s.profileMapState(url.Values{}, s.mapIndicators())
		s.defaultState = id + "|" + strings.Join(svc, ",")
	})
	code, rest, _ := strings.Cut(key, "|")
	level, _, _ := strings.Cut(rest, "|")
	return code + "|" + level + "|" + s.defaultState
}

// Prerender draws every area's profile (its default view) into the page
// store, so that no visitor waits for one to be drawn. It works only while
// no request is being served, with a worker per CPU, and returns when
// every area of the current data is stored or ctx ends. A call while
// another runs returns at once: the running one starts again when the
// data changes under it.
func (s *Server) Prerender(ctx context.Context) error {
	if s.pages == nil || !s.prerenderMu.TryLock() {
		return nil
	}
	defer s.prerenderMu.Unlock()
	for {
		err := s.prerenderAll(ctx)
		if !errors.Is(err, errDataChanged) {
			return err
		}
		s.log.Info("prerender: the data changed; starting again")
	}
}

func (s *Server) prerenderAll(ctx context.Context) error {
	start := time.Now()
	d, err := s.directory(ctx)
	if err != nil {
		return fmt.Errorf("prerender: %w", err)
	}
	pf := s.pageFile()
	if pf == nil {
		return nil
	}
	// Every code's profile is its best area (as findArea picks it); local
	// authorities and wards first, as the most visited.
	rank := map[string]int{"lad": 0, "ward": 1, "msoa21": 2, "lsoa21": 3, "lsoa11": 4}
	var todo []*Area
	for _, as := range d.areas {
		if len(as) > 0 && as[0].Level != "custom" {
			todo = append(todo, as[0])
		}
	}
	slices.SortFunc(todo, func(x, y *Area) int {
		rx, okx := rank[x.Level]
		ry, oky := rank[y.Level]
		if !okx {
			rx = len(rank)
		}
		if !oky {
			ry = len(rank)
		}
		return cmp.Or(cmp.Compare(rx, ry), cmp.Compare(x.Code, y.Code))
	})
	keys := make([]string, len(todo))
	var stored int64
	for i, a := range todo {
		keys[i] = s.profileKey(*a, nil)
		if pf.has(keys[i]) {
			stored++
		}
	}
	s.prerender.total.Store(int64(len(todo)))
	s.prerender.stored.Store(stored)
	s.prerender.done.Store(false)
	if stored == int64(len(todo)) {
		s.prerender.done.Store(true)
		return nil
	}
	s.log.Info("prerendering profiles", "areas", len(todo), "stored", stored, "file", pf.path)

	var (
		next     atomic.Int64
		failed   atomic.Int64
		drawn    atomic.Int64
		changed  atomic.Bool
		wg       sync.WaitGroup
		firstErr sync.Once
	)
	next.Store(-1)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for ctx.Err() == nil && !changed.Load() {
				i := int(next.Add(1))
				if i >= len(todo) {
					return
				}
				if pf.has(keys[i]) {
					continue
				}
				s.waitIdle(ctx)
				if s.pageFile() != pf {
					changed.Store(true) // new data: these pages are for the old
					return
				}
				gz, keep, err := s.renderProfile(ctx, *todo[i], nil)
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { s.log.Warn("prerender", "area", todo[i].Code, "err", err) })
					continue
				}
				if keep {
					if err := pf.put(keys[i], gz); err != nil {
						s.log.Warn("prerender", "err", err)
						changed.Store(true) // the disk is full: stop
						return
					}
					s.prerender.stored.Add(1)
				}
				if n := drawn.Add(1); n%5000 == 0 {
					s.log.Info("prerendering profiles", "drawn", n, "stored", s.prerender.stored.Load(), "of", len(todo))
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if changed.Load() {
		return errDataChanged
	}
	s.prerender.done.Store(true)
	s.log.Info("profiles prerendered", "drawn", drawn.Load(), "failed", failed.Load(), "stored", s.prerender.stored.Load(),
		"areas", len(todo), "bytes", pf.bytes(), "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// errDataChanged ends a Prerender that the data changed under.
var errDataChanged = errors.New("prerender: the data changed")

// waitIdle returns when no request is being served, so prerendering only
// uses time visitors do not.
func (s *Server) waitIdle(ctx context.Context) {
	for s.inflight.Load() > 0 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
}

// readyz is 503 until MarkReady, for load balancers and `commonground
// bench`: every page works before then, but the first ones are slower. Its
// second line says how many profiles are stored (Prerender).
func (s *Server) readyz(c echoContext) error {
	status, msg := http.StatusOK, "ready\n"
	if !s.ready.Load() {
		status, msg = http.StatusServiceUnavailable, "warming up\n"
	}
	if s.pages != nil {
		if t := s.prerender.total.Load(); t > 0 {
			msg += fmt.Sprintf("profiles stored: %d of %d\n", s.prerender.stored.Load(), t)
		}
	}
	return c.String(status, msg)
}
