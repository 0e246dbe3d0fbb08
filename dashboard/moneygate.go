package dashboard

import (
	"context"
	"fmt"
	"sync"
)

// moneyGate knows, per data version, which local authorities have any
// council spending or any placed grant at all. A profile asks for the
// authority's money report (queries.Money, which reads the supplier and
// grant matching views: about a second of DuckDB work per authority on
// all-England data) only when the authority is in one of these sets; for
// the others the report would be empty and the section is not shown, so
// the answer is the same, without the cost. Found with `commonground
// bench`: 50 clients on random profiles waited seconds for it.
type moneyGate struct {
	mu      sync.Mutex
	version dataVersion
	ready   bool
	lads    map[string]bool
}

// mayHaveMoney reports whether lad may have spending or grants to compare.
// On any error it says yes, so the full report decides.
func (s *Server) mayHaveMoney(ctx context.Context, lad string) bool {
	v, err := s.tiles.version(ctx)
	if err != nil {
		return true
	}
	g := &s.tiles.money
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.ready || g.version != v {
		lads, err := s.moneyLADs(ctx)
		if err != nil {
			s.log.Warn("money gate", "err", err)
			return true
		}
		g.lads, g.version, g.ready = lads, v, true
	}
	return g.lads[lad]
}

// moneyLADs lists the authorities with spending rows or placed grants (a
// superset of those whose report has money: no date or currency filters).
func (s *Server) moneyLADs(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	for _, q := range []struct{ table, sql string }{
		{"spending", `SELECT DISTINCT council_code FROM spending WHERE council_code IS NOT NULL`},
		{"grants", `SELECT DISTINCT coalesce(beneficiary_lad_code, lad_code) FROM grant_places WHERE coalesce(beneficiary_lad_code, lad_code) IS NOT NULL`},
	} {
		ok, err := hasTable(ctx, s.db, q.table)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		rows, err := s.db.SQL().QueryContext(ctx, q.sql)
		if err != nil {
			return nil, fmt.Errorf("money gate %s: %w", q.table, err)
		}
		for rows.Next() {
			var code string
			if err := rows.Scan(&code); err != nil {
				rows.Close()
				return nil, fmt.Errorf("money gate %s: %w", q.table, err)
			}
			out[code] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("money gate %s: %w", q.table, err)
		}
	}
	return out, nil
}
