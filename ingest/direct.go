package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"commonground/ingest/format"
	"commonground/warehouse"
)

// runDirect loads a dataset given as one plain CSV file of its one layout
// straight into the store (warehouse.Load.CommitStream): one pass, no
// staging copy. handled is false when the file is not such a file (a zip
// of several members, an XLSX), and the caller takes the staged path.
func (r *Runner) runDirect(ctx context.Context, l *warehouse.Load, ds Dataset, req Request, arg string, official bool,
	maxRate float64, res *warehouse.RunResult, log *slog.Logger, start time.Time) (Summary, bool, error) {
	src, err := r.Fetcher.Open(ctx, arg)
	if err != nil {
		return Summary{}, true, err
	}
	entries, err := format.OpenEntries(src.Path)
	if err != nil {
		return Summary{}, true, err
	}
	var data []format.Entry
	for _, e := range entries {
		if !skipMember(e.Name) {
			data = append(data, e)
		}
	}
	if len(data) != 1 || data[0].XLSX {
		return Summary{}, false, nil
	}
	e := data[0]
	head, err := readHead(e, 256<<10)
	if err != nil {
		return Summary{}, true, err
	}
	if format.LooksLikeJSONObject(head) || bytes.IndexByte(head, 0) >= 0 {
		return Summary{}, false, nil // not CSV: let the staged path explain
	}
	res.Source = append(res.Source, src.Source)
	res.Bytes, res.SHA256 = src.Bytes, src.SHA256
	if src.FromCache {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: could not refresh; used the cached copy fetched %s", src.Source, src.FetchedAt.Format(time.DateOnly)))
	}
	spec, err := format.Identify(bytes.NewReader(head), e.Name, ds.Files)
	if err != nil {
		return Summary{}, true, err
	}
	rc, err := e.Open()
	if err != nil {
		return Summary{}, true, err
	}
	defer rc.Close()
	rdr, err := format.NewCSVReader(rc, e.Name, spec)
	if err != nil {
		return Summary{}, true, err
	}
	defer rdr.Release()

	files := []string{e.Name}
	swap := warehouse.Swap{Table: ds.Table, Replace: substitute(ds.Replace, req.Params, files),
		Insert: substitute(ds.Insert, req.Params, files)}
	for _, d := range ds.Derive {
		swap.Derive = append(swap.Derive, substitute(d, req.Params, files))
	}
	record := func() warehouse.FileRecord {
		st := rdr.Stats()
		return warehouse.FileRecord{File: e.Name, Source: src.Source, Kind: spec.Kind, SHA256: src.SHA256, Bytes: src.Bytes,
			Encoding: st.Encoding, DataLines: int64(st.DataLines), Rows: int64(st.Rows), Rejected: int64(st.Rejected)}
	}
	check := func(ctx context.Context, q warehouse.Querier, n int64) error {
		if rerr := rdr.Err(); rerr != nil {
			return rerr
		}
		f := record()
		if dl := f.DataLines; dl > 0 && float64(f.Rejected)/float64(dl) > maxRate {
			first := ""
			if rs := rdr.Rejects(); len(rs) > 0 {
				first = "; first: " + rs[0].String()
			}
			return fmt.Errorf("%s: %d of %d rows rejected, more than %.0f%% — is this the right file for %s?%s",
				f.File, f.Rejected, dl, maxRate*100, ds.ID, first)
		}
		if len(ds.Checks.Unique) > 0 {
			var dups int64
			var example string
			key := strings.Join(ds.Checks.Unique, ", ")
			where := ""
			if swap.Replace != "" {
				where = " WHERE " + swap.Replace
			}
			sq := fmt.Sprintf("SELECT count(*), coalesce(min(k::VARCHAR), '') FROM (SELECT (%s) AS k FROM store.main.%s%s GROUP BY ALL HAVING count(*) > 1)",
				key, warehouse.QuoteIdent(ds.Table), where)
			if err := q.QueryRow(ctx, sq, &dups, &example); err != nil {
				return fmt.Errorf("check unique %s: %w", key, err)
			}
			if dups > 0 {
				return fmt.Errorf("%d values of (%s) appear more than once, e.g. %s", dups, key, example)
			}
		}
		if c := ds.Checks; (c.MinRows > 0 && n < c.MinRows) || (c.MaxRows > 0 && n > c.MaxRows) {
			msg := fmt.Sprintf("%d rows, expected %d to %d for the full official dataset", n, c.MinRows, c.MaxRows)
			switch {
			case official:
				return errors.New(msg)
			case !r.Synthetic:
				res.Warnings = append(res.Warnings, msg+" (fine for a subset or your own extract)")
			}
		}
		return nil
	}
	result := func() warehouse.RunResult {
		f := record()
		res.Files = []warehouse.FileRecord{f}
		res.Rejected = f.Rejected
		res.Rejects = toWarehouseRejects(rdr.Rejects())
		if ds.Accumulate {
			res.RejectFiles = files
		}
		return *res
	}
	loaded, err := l.CommitStream(ctx, spec.Kind, rdr, swap, check, result)
	if err != nil {
		// Keep what the reader saw for the failed run's record.
		result()
		if rerr := rdr.Err(); rerr != nil {
			return Summary{}, true, rerr
		}
		return Summary{}, true, err
	}
	f := res.Files[0]
	log.Debug("read file", "dataset", ds.ID, "file", f.File, "kind", f.Kind, "encoding", f.Encoding, "rows", f.Rows, "rejected", f.Rejected)
	sum := Summary{Dataset: ds.ID, RunID: l.RunID(), Rows: loaded, Rejected: res.Rejected, Files: res.Files,
		Warnings: res.Warnings, Duration: time.Since(start)}
	log.Info("ingested", "dataset", ds.ID, "table", ds.Table, "rows", loaded, "rejected", res.Rejected,
		"files", 1, "duration_ms", sum.Duration.Milliseconds(), "direct", true)
	return sum, true, nil
}
