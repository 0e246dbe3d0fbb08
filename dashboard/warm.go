package dashboard

import (
	"context"
	"fmt"
	"time"
)

// Warm builds what the first profiles would otherwise build while a
// visitor waits: the area directory and the LSOA boundary indexes behind
// profile maps and tiles (about 1 s on all-England data). serve calls it
// after the indicators are warm, then MarkReady once money reports are.
func (s *Server) Warm(ctx context.Context) error {
	start := time.Now()
	if _, err := s.directory(ctx); err != nil {
		return fmt.Errorf("warm dashboard: %w", err)
	}
	for _, vintage := range []int{2011, 2021} {
		if _, err := s.lsoaLayer(ctx, vintage); err != nil {
			return fmt.Errorf("warm dashboard: %w", err)
		}
	}

	s.log.Info("dashboard ready", "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// WarmMap builds the map explorer's catalogue, which counts every
// indicator at every level in SQL: the money indicators' matching makes
// DuckDB's memory jump by 90 MB for a moment, better while warming (and
// while Go's heap is small: serve calls it before Warm) than under a
// visitor's load.
func (s *Server) WarmMap(ctx context.Context) error {
	if _, err := s.mapCatalogue(ctx); err != nil {
		return fmt.Errorf("warm map: %w", err)
	}
	return nil
}

// MarkReady makes /readyz answer 200: the start-up warming is done.
func (s *Server) MarkReady() { s.ready.Store(true) }
