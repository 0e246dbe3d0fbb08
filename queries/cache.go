package queries

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"commonground/warehouse"
)

// lazy holds a value computed once, on first use. A failed computation
// (a cancelled request, say) is not kept: the next caller tries again.
// Callers wait for a computation under way rather than repeat it.
type lazy[T any] struct {
	mu   sync.Mutex
	done bool
	val  T
}

func (l *lazy[T]) get(ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.val, nil
	}
	v, err := f(ctx)
	if err != nil {
		return v, err
	}
	l.val, l.done = v, true
	return v, nil
}

// cache is what one warehouse version yields for one catalogue: the
// indicators' rows, the local authorities' LSOAs, names and provenance.
// The code table and the geography index are the version's shared ones
// (sh). A new ingest run makes a new version, and a new cache.
type cache struct {
	db *warehouse.DB
	sh *shared

	mu     sync.Mutex
	tables map[string]*lazy[*table]

	geo  lazy[*geography]
	prov lazy[*provenance]
}

// geography is the membership the engine needs on every call: each local
// authority's LSOAs (per LSOA vintage), England's LSOA count per vintage,
// and local authority names.
type geography struct {
	lads     map[int]map[string][]int32
	country  map[int]int
	ladNames map[string]string
}

func newCache(db *warehouse.DB, sh *shared) *cache {
	return &cache{db: db, sh: sh, tables: map[string]*lazy[*table]{}}
}

// intern numbers codes, adding new ones to the code table.
func (c *cache) intern(codes []string) []int32 { return c.sh.intern(codes) }

func (c *cache) size() int { return c.sh.size() }

func (c *cache) code(i int32) string { return c.sh.code(i) }

// areas is the version's geography index.
func (c *cache) areas(ctx context.Context) (*areaIndex, error) { return c.sh.areaIndex(ctx) }

// table returns an indicator's rows, running its SQL on first use.
func (c *cache) table(ctx context.Context, ind *Indicator) (*table, error) {
	c.mu.Lock()
	l, ok := c.tables[ind.ID]
	if !ok {
		l = &lazy[*table]{}
		c.tables[ind.ID] = l
	}
	c.mu.Unlock()
	return l.get(ctx, func(ctx context.Context) (*table, error) { return c.loadTable(ctx, c.db, ind) })
}

// geography loads local authority membership and names.
func (c *cache) geography(ctx context.Context) (*geography, error) {
	return c.geo.get(ctx, func(ctx context.Context) (*geography, error) {
		g := &geography{lads: map[int]map[string][]int32{}, country: map[int]int{}, ladNames: map[string]string{}}
		rows, err := c.db.Query(ctx, `SELECT area_code, lsoa_vintage, lsoa_code FROM area_lsoas WHERE area_level = 'lad'`)
		if err != nil {
			return nil, fmt.Errorf("local authority membership: %w", err)
		}
		defer rows.Close()
		var ladCodes, lsoaCodes []string
		var vintages []int
		for rows.Next() {
			var lad, lsoa string
			var v int
			if err := rows.Scan(&lad, &v, &lsoa); err != nil {
				return nil, fmt.Errorf("local authority membership: %w", err)
			}
			ladCodes, lsoaCodes, vintages = append(ladCodes, lad), append(lsoaCodes, lsoa), append(vintages, v)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("local authority membership: %w", err)
		}
		idx := c.intern(lsoaCodes)
		for i, lad := range ladCodes {
			m := g.lads[vintages[i]]
			if m == nil {
				m = map[string][]int32{}
				g.lads[vintages[i]] = m
			}
			m[lad] = append(m[lad], idx[i])
		}
		if err := scanEach(ctx, c.db, `SELECT lsoa_vintage, count(*) FROM area_lsoas WHERE area_level = 'country' GROUP BY ALL`,
			func(r *sql.Rows) error {
				var v, n int
				err := r.Scan(&v, &n)
				g.country[v] = n
				return err
			}); err != nil {
			return nil, fmt.Errorf("England membership: %w", err)
		}
		// Names: boundaries first, then the lookups for authorities whose
		// boundaries are not loaded.
		if err := scanEach(ctx, c.db, `SELECT code, arg_min(name, pri) FROM (
			SELECT code, name, 0 AS pri FROM areas WHERE level = 'lad' AND name IS NOT NULL
			UNION ALL SELECT lad_code, lad_name, 1 FROM lookup_lsoa_ward_lad WHERE lad_name IS NOT NULL
			UNION ALL SELECT lad_code, lad_name, 2 FROM lookup_oa WHERE lad_name IS NOT NULL) GROUP BY code`,
			func(r *sql.Rows) error {
				var code, name string
				err := r.Scan(&code, &name)
				g.ladNames[code] = name
				return err
			}); err != nil {
			return nil, fmt.Errorf("local authority names: %w", err)
		}
		return g, nil
	})
}

// scanEach runs a read-only query and calls f for each row.
func scanEach(ctx context.Context, db *warehouse.DB, q string, f func(*sql.Rows) error, args ...any) error {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// warehouseVersion identifies the warehouse's data: it changes whenever an
// ingest run starts or finishes. It is a query: callers go through
// sharedFor, which reads it at most every versionTTL.
func warehouseVersion(ctx context.Context, db *warehouse.DB) (string, error) {
	var runs, maxID int64
	var last sql.NullTime
	rows, err := db.Query(ctx, `SELECT count(*), coalesce(max(run_id), 0), max(coalesce(finished_at, started_at)) FROM ingest_runs`)
	if err != nil {
		return "", fmt.Errorf("warehouse version: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&runs, &maxID, &last); err != nil {
			return "", fmt.Errorf("warehouse version: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("warehouse version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%s", runs, maxID, last.Time.Format(time.RFC3339Nano)), nil
}
