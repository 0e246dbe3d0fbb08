package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"commonground/ingest/catalog"
	"commonground/warehouse"
)

const sourcesHelp = `Lists every dataset in the catalogue: id, title, publisher, licence, geography
and vintage, and what the warehouse holds: when it was last loaded, rows,
rejected rows, and the status of the latest run.`

type sourceRow struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Publisher string `json:"publisher"`
	Licence   string `json:"licence"`
	Geography string `json:"geography"`
	Vintage   string `json:"vintage"`
	LoadedAt  string `json:"last_loaded,omitempty"`
	Rows      int64  `json:"rows"`
	Rejected  int64  `json:"rejects"`
	Status    string `json:"status"`
	Synthetic bool   `json:"synthetic,omitempty"`
	Located   *int64 `json:"located,omitempty"`
	Unlocated *int64 `json:"unlocated,omitempty"`
	Error     string `json:"error,omitempty"`
}

func runSources(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sources", "sources [--db PATH] [--format table|json]", sourcesHelp)
	db := dbFlag(fs)
	format := fs.String("format", "table", "output format: table or json")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return usageError{"--format must be table or json"}
	}
	statuses := map[string]warehouse.LoadStatus{}
	if _, err := os.Stat(*db); err == nil {
		w, err := warehouse.Open(ctx, *db, warehouse.Options{ReadOnly: true, Logger: e.log})
		if err != nil {
			return err
		}
		statuses, err = w.LoadStatuses(ctx)
		w.Close()
		if err != nil {
			return err
		}
	}
	var out []sourceRow
	for _, d := range catalog.All() {
		r := sourceRow{ID: d.ID, Title: d.Title, Publisher: d.Publisher, Licence: d.Licence, Geography: d.Geography, Vintage: d.Vintage, Status: "not loaded"}
		if s, ok := statuses[d.ID]; ok {
			r.Status, r.Error, r.Rows, r.Rejected, r.Synthetic = s.Status, s.Error, s.Rows, s.Rejected, s.Synthetic
			r.Located, r.Unlocated = s.Located, s.Unlocated
			if !s.LoadedAt.IsZero() {
				r.LoadedAt = s.LoadedAt.Local().Format(time.DateTime)
			}
			if s.Status != "ok" && s.RunID != 0 {
				r.Status += " (previous version kept)"
			}
			if s.Synthetic {
				r.Status += ", synthetic"
			}
			if s.Located != nil {
				r.Status += fmt.Sprintf(", %d located, %d unlocated", *s.Located, *s.Unlocated)
			}
		}
		out = append(out, r)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tPUBLISHER\tLICENCE\tGEOGRAPHY\tVINTAGE\tLAST LOADED\tROWS\tREJECTS\tSTATUS")
	for _, r := range out {
		loaded := r.LoadedAt
		if loaded == "" {
			loaded = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, trunc(r.Title, 48), trunc(r.Publisher, 32), r.Licence,
			trunc(r.Geography, 32), r.Vintage, loaded, r.Rows, r.Rejected, r.Status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range out {
		if r.Error != "" {
			fmt.Fprintf(e.stdout, "\n%s: last run %s: %s\n", r.ID, r.Status, r.Error)
		}
	}
	return nil
}

func trunc(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
