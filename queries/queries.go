// Package queries holds Commonground's indicators: one SQL file each, with
// its metadata in a comment header, computed at LSOA level and aggregated
// to any area (LSOA, ward, MSOA, local authority, England, custom areas)
// by the rule the file declares, benchmarked Fingertips-style against the
// parent local authority and England, and explained in a sentence.
//
// The file format, the aggregation rules and the statistics are described
// in docs/INDICATORS.md.
//
// # Concurrency
//
// A Catalog is safe for concurrent use. Its indicators never change after
// Load. ForArea and Values read each indicator's LSOA rows once per
// warehouse version (an ingest run starting or finishing makes a new
// version) and keep them in memory, so later calls aggregate without
// running the indicator's SQL again; concurrent calls that need the same
// rows wait for one query rather than run several. The geography (areas,
// their LSOAs and names) is held in memory the same way, shared with Gaps.
// The version is read at most every two seconds: call Reset (or
// Invalidate) after writing to the warehouse in this process.
package queries

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"commonground/warehouse"
)

//go:embed *.sql
var files embed.FS

// ErrNotFound is returned by ForArea, Values and Indicator for an unknown
// indicator id or area code. The error's text says what was not found.
var ErrNotFound = errors.New("not found")

// ErrNotAvailable is returned by Values when an indicator is not computed
// at the level asked for (an LSOA 2021 indicator asked for LSOA 2011
// areas, or council spending asked for wards).
var ErrNotAvailable = errors.New("not available at this level")

// Catalog is a validated-on-demand set of indicators. See the package
// documentation for concurrency.
type Catalog struct {
	list []*Indicator
	byID map[string]*Indicator

	mu     sync.Mutex
	caches map[*warehouse.DB]*cache
}

// Default loads the indicators embedded in the binary (queries/*.sql).
func Default() (*Catalog, error) {
	return load(files, "queries/")
}

// Load parses every *.sql file at the root of fsys. Errors name the file
// and line of every problem found (all of them, joined).
func Load(fsys fs.FS) (*Catalog, error) {
	return load(fsys, "")
}

func load(fsys fs.FS, prefix string) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("load indicators: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("load indicators: no .sql files")
	}
	sort.Strings(names)
	c := &Catalog{byID: map[string]*Indicator{}, caches: map[*warehouse.DB]*cache{}}
	var errs []error
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("load indicators: %w", err))
			continue
		}
		ind, err := parse(prefix+name, string(b))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := c.byID[ind.ID]; dup {
			errs = append(errs, &FileError{File: ind.File, Line: ind.lines["id"], Err: fmt.Errorf("id %q is also used by %s", ind.ID, prev.File)})
			continue
		}
		c.byID[ind.ID] = ind
		c.list = append(c.list, ind)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Indicators lists the indicators in file-name order.
func (c *Catalog) Indicators() []Indicator {
	out := make([]Indicator, len(c.list))
	for i, ind := range c.list {
		out[i] = *ind
	}
	return out
}

// Indicator returns one indicator, or an error wrapping ErrNotFound.
func (c *Catalog) Indicator(id string) (Indicator, error) {
	ind, err := c.lookup(id)
	if err != nil {
		return Indicator{}, err
	}
	return *ind, nil
}

func (c *Catalog) lookup(id string) (*Indicator, error) {
	if ind, ok := c.byID[id]; ok {
		return ind, nil
	}
	var near []string
	for _, ind := range c.list {
		if strings.Contains(ind.ID, id) || strings.Contains(id, ind.ID) {
			near = append(near, ind.ID)
		}
	}
	hint := fmt.Sprintf("the catalogue has %d indicators", len(c.list))
	if len(near) > 0 {
		hint = "did you mean " + strings.Join(near, ", ") + "?"
	}
	return nil, fmt.Errorf("%w: no indicator %q (%s)", ErrNotFound, id, hint)
}

// Reset forgets the rows read from every warehouse, and every warehouse's
// version and geography (as Invalidate does), so the next call reads them
// again. Call it after writing to the warehouse in this process (a custom
// area, a refresh): a new ingest run is otherwise seen within versionTTL.
func (c *Catalog) Reset() {
	c.mu.Lock()
	c.caches = map[*warehouse.DB]*cache{}
	c.mu.Unlock()
	invalidateAll()
}

// Invalidate is Reset: it drops everything cached from every warehouse.
func (c *Catalog) Invalidate() { c.Reset() }

// cacheFor returns the cache for db's current version.
func (c *Catalog) cacheFor(ctx context.Context, db *warehouse.DB) (*cache, error) {
	sh, err := sharedFor(ctx, db)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.caches[db]; ok && ch.sh == sh {
		return ch, nil
	}
	ch := newCache(db, sh)
	c.caches[db] = ch
	return ch, nil
}

// Warm reads every indicator's rows now (four at a time), the geography
// index and the gaps indexes, so that the first ForArea, Values or Gaps
// after start-up or an ingest run is as fast as the rest.
func (c *Catalog) Warm(ctx context.Context, db *warehouse.DB) error {
	ch, err := c.cacheFor(ctx, db)
	if err != nil {
		return err
	}
	if _, err := ch.geography(ctx); err != nil {
		return err
	}
	ix, err := ch.areas(ctx)
	if err != nil {
		return err
	}
	for _, level := range levels {
		if level != LevelLAD && level != LevelCountry {
			ix.levelNames(level)
		}
	}
	for _, t := range ServiceTypes {
		if _, err := ch.sh.gapIndex(ctx, t.Key); err != nil {
			return err
		}
	}
	_, err = c.tables(ctx, ch, c.list)
	return err
}

// tables reads the indicators' rows, up to four queries at a time (the
// warehouse's default pool).
func (c *Catalog) tables(ctx context.Context, ch *cache, inds []*Indicator) ([]*table, error) {
	out := make([]*table, len(inds))
	errs := make([]error, len(inds))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, ind := range inds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = ch.table(ctx, ind)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// levelName is how a level is named in sentences and errors.
func levelName(level string) string {
	switch level {
	case LevelLSOA11:
		return "LSOA (2011)"
	case LevelLSOA21:
		return "LSOA (2021)"
	case LevelWard:
		return "ward"
	case LevelMSOA21:
		return "MSOA"
	case LevelLAD:
		return "local authority"
	case LevelCountry:
		return "England"
	case LevelCustom:
		return "custom area"
	}
	return level
}
