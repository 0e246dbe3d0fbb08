package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DatasetInfo is a catalogue entry as stored in the datasets table.
type DatasetInfo struct {
	ID, Title, Publisher, Licence, Attribution, SourceURL string
	Format, Geography, Vintage, Table, Description        string
}

// SyncDatasets replaces the datasets table with the catalogue, so SQL users
// and the dashboard see titles, licences and attribution.
func (db *DB) SyncDatasets(ctx context.Context, infos []DatasetInfo) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sync datasets: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM datasets"); err != nil {
		return fmt.Errorf("sync datasets: %w", err)
	}
	for _, d := range infos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.Title, d.Publisher, d.Licence, d.Attribution, d.SourceURL, d.Format, d.Geography, d.Vintage, d.Table, d.Description); err != nil {
			return fmt.Errorf("sync datasets: %s: %w", d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sync datasets: %w", err)
	}
	return nil
}

// LoadStatus is what the warehouse holds for one dataset.
type LoadStatus struct {
	Dataset string
	// LoadedAt, Rows and Rejected describe the version in place (the last
	// successful run); zero when none.
	LoadedAt  time.Time
	Rows      int64
	Rejected  int64
	Synthetic bool
	RunID     int64
	// Located and Unlocated are set for located datasets (services, grants).
	Located, Unlocated *int64
	// Status is that of the latest run: ok, failed, running or interrupted.
	Status string
	Error  string
}

// LoadStatuses returns the load status of every dataset that has been run.
func (db *DB) LoadStatuses(ctx context.Context) (map[string]LoadStatus, error) {
	rows, err := db.sql.QueryContext(ctx, `
		WITH latest AS (
			SELECT dataset, status, error FROM ingest_runs
			QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY run_id DESC) = 1),
		good AS (
			SELECT dataset, run_id, finished_at, rows_loaded, rows_rejected, synthetic, located, unlocated FROM ingest_runs WHERE status = 'ok'
			QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY run_id DESC) = 1)
		SELECT l.dataset, l.status, coalesce(l.error, ''), g.run_id, g.finished_at, g.rows_loaded, g.rows_rejected, g.synthetic,
		       g.located, g.unlocated
		FROM latest l LEFT JOIN good g USING (dataset)`)
	if err != nil {
		return nil, fmt.Errorf("load statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]LoadStatus{}
	for rows.Next() {
		var s LoadStatus
		var runID, n, rej sql.NullInt64
		var at sql.NullTime
		var syn sql.NullBool
		var loc, unloc sql.NullInt64
		if err := rows.Scan(&s.Dataset, &s.Status, &s.Error, &runID, &at, &n, &rej, &syn, &loc, &unloc); err != nil {
			return nil, fmt.Errorf("load statuses: %w", err)
		}
		s.RunID, s.LoadedAt, s.Rows, s.Rejected, s.Synthetic = runID.Int64, at.Time, n.Int64, rej.Int64, syn.Bool
		if loc.Valid {
			s.Located, s.Unlocated = &loc.Int64, &unloc.Int64
		}
		out[s.Dataset] = s
	}
	return out, rows.Err()
}
