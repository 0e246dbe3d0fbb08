package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"
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
}

const (
	profileVersionTTL = 5 * time.Second
	maxProfileItems   = 4000 // then start again: cheaper than an LRU, and rare
)

func (s *Server) dataVersion(ctx context.Context) (string, error) {
	var runs, maxID, custom int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT count(*), coalesce(max(run_id), 0),
		(SELECT count(*) FROM areas WHERE level = 'custom') FROM ingest_runs`).Scan(&runs, &maxID, &custom)
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d", runs, maxID, custom), nil
}

// cachedSection returns the cached value for key, computing it with f when
// missing. Errors are not cached.
func cachedSection[T any](ctx context.Context, s *Server, key string, f func(context.Context) (T, error)) (T, error) {
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
			pc.version, pc.items = v, nil
		}
		pc.checked = time.Now()
	}
	if it, ok := pc.items[key]; ok {
		pc.mu.Unlock()
		return it.(T), nil
	}
	pc.mu.Unlock()
	val, err := f(ctx)
	if err != nil {
		return val, err
	}
	pc.mu.Lock()
	if pc.items == nil || len(pc.items) >= maxProfileItems {
		pc.items = map[string]any{}
	}
	pc.items[key] = val
	pc.mu.Unlock()
	return val, nil
}
