package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"commonground/warehouse"
)

// A table is one indicator's rows, as its SQL returned them, held in
// memory for one version of the warehouse: a and b are the numerator and
// denominator (ratio), value×weight and weight (mean), or the value (sum),
// indexed by the code's number in the cache's code table (NaN: no row, or
// no data). Aggregating an area is then a sum over its member LSOAs.
type table struct {
	ind  *Indicator
	a, b []float64
	rows []int32 // code numbers with data

	// English LSOA rows returned (with data or not), and England's sums
	// over the English LSOAs with data.
	englishRows int
	england     agg
	// hasEngland: a lad-geography indicator returned an England row.
	hasEngland bool

	// Values of the English LSOAs with data, ascending: for deciles.
	sorted []float64

	laOnce sync.Once
	la     map[string]agg // local authority -> sums (lsoa geographies: from area_lsoas)
	laVals []float64      // values of the LAs with data, descending: for ranks
}

// agg is the sums over a set of LSOAs.
type agg struct {
	a, b    float64
	n       int // LSOAs (or rows) with data
	members int // LSOAs in the set
}

func (t *table) add(g *agg, i int32) {
	g.members++
	if int(i) < len(t.a) && !math.IsNaN(t.a[i]) {
		g.a += t.a[i]
		g.b += t.denominator(i)
		g.n++
	}
}

// denominator is row i's b: zero for a sum, which keeps none.
func (t *table) denominator(i int32) float64 {
	if t.b == nil {
		return 0
	}
	return t.b[i]
}

// sum aggregates the given code numbers.
func (t *table) sum(members []int32) agg {
	var g agg
	for _, i := range members {
		t.add(&g, i)
	}
	return g
}

// value is the indicator's value of an aggregate; ok is false when the
// aggregate has no data or a zero denominator.
func (t *table) value(g agg) (float64, bool) {
	if g.n == 0 {
		return 0, false
	}
	switch t.ind.Rule {
	case RuleRatio:
		if g.b == 0 {
			return 0, false
		}
		return g.a / g.b * t.ind.Unit.multiplier(), true
	case RuleMean:
		if g.b == 0 {
			return 0, false
		}
		return g.a / g.b, true
	}
	return g.a, true
}

// wrap turns an indicator's SQL into the query that reads its rows, with
// numbers as DOUBLE. The file text follows "FROM (" on the same line, so
// DuckDB's "LINE n" in an error is the file's line n.
func wrap(ind *Indicator) string {
	key := "lsoa_code"
	if ind.Geography == GeoLAD {
		key = "area_code"
	}
	cols := "numerator::DOUBLE, denominator::DOUBLE"
	switch ind.Rule {
	case RuleMean:
		cols = "value::DOUBLE * weight::DOUBLE, weight::DOUBLE"
	case RuleSum:
		cols = "value::DOUBLE, NULL::DOUBLE"
	}
	return fmt.Sprintf("SELECT %s::VARCHAR, %s FROM (%s\n) AS indicator", key, cols, ind.query())
}

// query is the file's SQL without a trailing semicolon.
func (ind *Indicator) query() string {
	return strings.TrimRight(ind.SQL, "; \t\r\n")
}

func (ind *Indicator) args() []any {
	var args []any
	for _, p := range ind.Params {
		args = append(args, sql.Named(p.Name, p.Default))
	}
	return args
}

// loadTable runs the indicator's SQL and builds its table.
func (c *cache) loadTable(ctx context.Context, db *warehouse.DB, ind *Indicator) (*table, error) {
	rows, err := db.Query(ctx, wrap(ind), ind.args()...)
	if err != nil {
		return nil, ind.sqlError(err)
	}
	defer rows.Close()
	type row struct {
		code string
		a, b float64
		ok   bool
	}
	var got []row
	for rows.Next() {
		var code sql.NullString
		var a, b sql.NullFloat64
		if err := rows.Scan(&code, &a, &b); err != nil {
			return nil, ind.sqlError(err)
		}
		if !code.Valid {
			continue
		}
		ok := a.Valid && !math.IsNaN(a.Float64) && !math.IsInf(a.Float64, 0)
		if ind.Rule != RuleSum {
			ok = ok && b.Valid && !math.IsNaN(b.Float64) && !math.IsInf(b.Float64, 0)
		}
		if ind.Rule == RuleMean && ok && b.Float64 <= 0 {
			ok = false // a zero weight carries no information
		}
		got = append(got, row{code.String, a.Float64, b.Float64, ok})
	}
	if err := rows.Err(); err != nil {
		return nil, ind.sqlError(err)
	}

	codes := make([]string, len(got))
	for i, r := range got {
		codes[i] = r.code
	}
	idx := c.intern(codes)
	t := &table{ind: ind}
	// The value arrays reach only the highest code returned, not every
	// code interned (memory: about 80 tables live per warehouse version),
	// and a sum has no denominator to keep.
	n := 0
	for _, k := range idx {
		n = max(n, int(k)+1)
	}
	t.a = make([]float64, n)
	for i := range t.a {
		t.a[i] = math.NaN()
	}
	if ind.Rule != RuleSum {
		t.b = make([]float64, n)
	}
	seen := make(map[int32]bool, len(got))
	for i, r := range got {
		k := idx[i]
		if seen[k] {
			return nil, &FileError{File: ind.File, Line: ind.bodyLine, Err: fmt.Errorf("the SQL returned %s %s twice; it must return one row per area", keyName(ind), r.code)}
		}
		seen[k] = true
		english := isEnglishLSOA(r.code)
		if english {
			t.englishRows++
		}
		if ind.Geography == GeoLAD && r.code == EnglandCode {
			t.hasEngland = true
			if r.ok {
				t.england = agg{a: r.a, b: r.b, n: 1, members: 1}
			}
			continue
		}
		if !r.ok {
			continue
		}
		t.a[k] = r.a
		if t.b != nil {
			t.b[k] = r.b
		}
		t.rows = append(t.rows, k)
		if english {
			t.england.a += r.a
			t.england.b += r.b
			t.england.n++
			if v, ok := t.value(agg{a: r.a, b: r.b, n: 1}); ok {
				t.sorted = append(t.sorted, v)
			}
		}
	}
	if ind.Geography != GeoLAD {
		t.england.members = t.englishRows
	}
	sort.Float64s(t.sorted)
	t.sorted = slices.Clone(t.sorted) // without append's spare capacity
	t.rows = slices.Clone(t.rows)
	return t, nil
}

func keyName(ind *Indicator) string {
	if ind.Geography == GeoLAD {
		return "area_code"
	}
	return "lsoa_code"
}

// sqlError names the file, and the line when DuckDB gives one.
func (ind *Indicator) sqlError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &FileError{File: ind.File, Line: ind.lineOf(err), Err: err}
}

// decile returns the national decile and quintile (1 = lowest value in
// England) of an LSOA value: the LSOA's position counting the LSOAs with a
// strictly lower value, so tied LSOAs share a group.
func (t *table) decile(v float64) (decile, quintile int) {
	n := len(t.sorted)
	if n == 0 {
		return 0, 0
	}
	below := sort.SearchFloat64s(t.sorted, v) // LSOAs with a lower value
	return below*10/n + 1, below*5/n + 1
}

// laTable aggregates every local authority, once per table: from the
// LSOA rows and the authorities' membership for LSOA geographies, from the
// rows themselves for the lad geography.
func (t *table) laTable(lads map[string][]int32, codeOf func(int32) string) {
	t.laOnce.Do(func() {
		t.la = map[string]agg{}
		if t.ind.Geography == GeoLAD {
			for _, i := range t.rows {
				t.la[codeOf(i)] = agg{a: t.a[i], b: t.denominator(i), n: 1, members: 1}
			}
		} else {
			for code, members := range lads {
				t.la[code] = t.sum(members)
			}
		}
		for _, g := range t.la {
			if v, ok := t.value(g); ok {
				t.laVals = append(t.laVals, v)
			}
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(t.laVals)))
	})
}

// rank is 1 + the number of local authorities with a higher value (so 1
// is the highest), and the number of authorities ranked.
func (t *table) rank(v float64) (rank, of int) {
	// laVals is descending: count values > v.
	k := sort.Search(len(t.laVals), func(i int) bool { return t.laVals[i] <= v })
	return k + 1, len(t.laVals)
}

// isEnglishLSOA reports whether code is an LSOA in England's comparator. The
// synthetic demo's LSOAs (E01099xxx, a range `commonground demo` reserves and
// ONS does not use) are never part of England, so a demo-only warehouse has
// no England figure rather than a misleading one.
func isEnglishLSOA(code string) bool {
	return strings.HasPrefix(code, "E01") && !strings.HasPrefix(code, "E01099")
}
