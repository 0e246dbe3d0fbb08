package queries

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// Provenance is where one of an indicator's datasets came from: the
// catalogue entry (title, edition, licence, attribution) and the load in
// place (its run and when it finished).
type Provenance struct {
	Dataset     string `json:"dataset"`
	Title       string `json:"title,omitempty"`
	Table       string `json:"table"`
	Edition     string `json:"edition,omitempty"`
	Licence     string `json:"licence,omitempty"`
	Attribution string `json:"attribution,omitempty"`
	// LoadedAt is when the last successful ingest run of the dataset
	// finished (zero if it has never been loaded).
	LoadedAt  time.Time `json:"loaded_at"`
	RunID     int64     `json:"run_id,omitempty"`
	Synthetic bool      `json:"synthetic,omitempty"`
}

type provenance struct {
	byDataset map[string]Provenance
	byTable   map[string][]string
}

func (c *cache) provenance(ctx context.Context) (*provenance, error) {
	return c.prov.get(ctx, func(ctx context.Context) (*provenance, error) {
		p := &provenance{byDataset: map[string]Provenance{}, byTable: map[string][]string{}}
		err := scanEach(ctx, c.db, `
			WITH runs AS (
				SELECT dataset, max(run_id) AS run_id, arg_max(finished_at, run_id) AS finished_at, arg_max(synthetic, run_id) AS synthetic
				FROM ingest_runs WHERE status = 'ok' GROUP BY dataset)
			SELECT coalesce(d.id, r.dataset), coalesce(d.title, ''), coalesce(d.table_name, ''), coalesce(d.vintage, ''),
			       coalesce(d.licence, ''), coalesce(d.attribution, ''), r.run_id, r.finished_at, coalesce(r.synthetic, false)
			FROM datasets d FULL OUTER JOIN runs r ON r.dataset = d.id`,
			func(r *sql.Rows) error {
				var pv Provenance
				var run sql.NullInt64
				var at sql.NullTime
				if err := r.Scan(&pv.Dataset, &pv.Title, &pv.Table, &pv.Edition, &pv.Licence, &pv.Attribution, &run, &at, &pv.Synthetic); err != nil {
					return err
				}
				pv.RunID, pv.LoadedAt = run.Int64, at.Time
				p.byDataset[pv.Dataset] = pv
				if pv.Table != "" {
					p.byTable[pv.Table] = append(p.byTable[pv.Table], pv.Dataset)
				}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
		for _, ids := range p.byTable {
			sort.Strings(ids)
		}
		return p, nil
	})
}

// of lists the provenance of an indicator's sources. A "*" source lists
// every loaded dataset that fills its table.
func (p *provenance) of(ind *Indicator) []Provenance {
	var out []Provenance
	for _, s := range ind.Sources {
		if s.Dataset == "*" {
			for _, id := range p.byTable[s.Table] {
				if pv := p.byDataset[id]; !pv.LoadedAt.IsZero() {
					out = append(out, pv)
				}
			}
			continue
		}
		pv, ok := p.byDataset[s.Dataset]
		if !ok {
			pv = Provenance{Dataset: s.Dataset}
		}
		pv.Table = s.Table
		out = append(out, pv)
	}
	return out
}
