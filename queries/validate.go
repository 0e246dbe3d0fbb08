package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"commonground/warehouse"
)

// duckLine finds the line DuckDB reports in a parser or binder error.
var duckLine = regexp.MustCompile(`LINE (\d+):`)

// columns each rule needs from an indicator's SQL.
func (ind *Indicator) columns() []string {
	key := "lsoa_code"
	if ind.Geography == GeoLAD {
		key = "area_code"
	}
	switch ind.Rule {
	case RuleRatio:
		return []string{key, "numerator", "denominator"}
	case RuleMean:
		return []string{key, "value", "weight"}
	}
	return []string{key, "value"}
}

// Validate checks every indicator against the warehouse, without running
// any: each file must prepare as a single read-only SELECT (DuckDB's own
// statement type), use only the parameters it declares, return the
// columns its rule needs as numbers, and name sources that exist: tables
// in the warehouse and, when the datasets table is filled, dataset ids in
// it. Every problem is reported, each naming the file and line.
func (c *Catalog) Validate(ctx context.Context, db *warehouse.DB) error {
	tables, err := db.Tables(ctx)
	if err != nil {
		return fmt.Errorf("validate indicators: %w", err)
	}
	haveTable := map[string]bool{}
	for _, t := range tables {
		haveTable[t.Name] = true
	}
	haveDataset := map[string]bool{}
	if err := scanEach(ctx, db, `SELECT id FROM datasets`, func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		haveDataset[id] = true
		return err
	}); err != nil {
		return fmt.Errorf("validate indicators: %w", err)
	}
	var errs []error
	for _, ind := range c.list {
		errs = append(errs, ind.validate(ctx, db, haveTable, haveDataset)...)
	}
	return errors.Join(errs...)
}

func (ind *Indicator) validate(ctx context.Context, db *warehouse.DB, haveTable, haveDataset map[string]bool) []error {
	var errs []error
	fail := func(line int, err error) { errs = append(errs, &FileError{File: ind.File, Line: line, Err: err}) }

	for _, s := range ind.Sources {
		if !haveTable[s.Table] {
			fail(ind.lines["sources"], fmt.Errorf("unknown source table %q (not in the warehouse)", s.Table))
		}
		if s.Dataset != "*" && len(haveDataset) > 0 && !haveDataset[s.Dataset] {
			fail(ind.lines["sources"], fmt.Errorf("unknown source dataset %q (not in the datasets table)", s.Dataset))
		}
	}

	info, err := db.Describe(ctx, ind.query())
	if err != nil {
		if ctx.Err() != nil {
			return append(errs, ctx.Err())
		}
		if errors.Is(err, warehouse.ErrNotReadOnly) {
			fail(ind.bodyLine, fmt.Errorf("not a single read-only SELECT: %w", err))
			return errs
		}
		fail(ind.lineOf(err), fmt.Errorf("SQL does not prepare: %w", err))
		return errs
	}
	if info.Type != "SELECT" {
		fail(ind.bodyLine, fmt.Errorf("statement is %s, not a read-only SELECT", info.Type))
		return errs
	}
	declared := map[string]bool{}
	for _, p := range ind.Params {
		declared[p.Name] = true
	}
	for _, p := range info.Params {
		if !declared[p] {
			line := ind.bodyLine
			if l, ok := ind.paramLine[p]; ok {
				line = l
			}
			if p == "" || strings.Trim(p, "0123456789") == "" {
				fail(line, fmt.Errorf("positional parameter %q: use a declared $name", p))
			} else {
				fail(line, fmt.Errorf("undeclared parameter $%s", p))
			}
		}
	}
	if len(info.Columns) == 1 && info.Columns[0] == "unknown" && len(info.Params) > 0 {
		line := ind.bodyLine
		for _, p := range info.Params {
			if l, ok := ind.paramLine[p]; ok {
				line = l
				break
			}
		}
		fail(line, fmt.Errorf("DuckDB cannot tell the result columns until a parameter's type is known: cast it where it is used ($%s::INTEGER)", info.Params[0]))
		return errs
	}
	have := map[string]bool{}
	for _, col := range info.Columns {
		have[col] = true
	}
	var missing []string
	for _, col := range ind.columns() {
		if !have[col] {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		fail(ind.bodyLine, fmt.Errorf("missing column %s (rule %s at %s needs %s)", strings.Join(missing, ", "), ind.Rule, ind.Geography, strings.Join(ind.columns(), ", ")))
		return errs
	}
	// The numbers must be numbers: sum() of text fails to bind.
	cols := ind.columns()[1:]
	var sums []string
	for _, col := range cols {
		sums = append(sums, "sum("+col+")")
	}
	if _, err := db.Describe(ctx, "SELECT "+strings.Join(sums, ", ")+" FROM ("+ind.query()+"\n) AS indicator"); err != nil {
		fail(ind.bodyLine, fmt.Errorf("columns %s must be numbers: %w", strings.Join(cols, ", "), err))
	}
	return errs
}

// lineOf is the file line of a DuckDB error (the SQL is the whole file, so
// DuckDB's line numbers are the file's), or the first line of SQL.
func (ind *Indicator) lineOf(err error) int {
	line := ind.bodyLine
	if m := duckLine.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &line)
	}
	return line
}
