package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"commonground/warehouse"
	"commonground/warehouse/hostile"
)

func emptyWarehouse(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "q.duckdb")
	w, err := warehouse.Open(context.Background(), p, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestQueryRefusesHostileSQL(t *testing.T) {
	db := emptyWarehouse(t)
	cases := hostile.Queries()
	if len(cases) < 30 {
		t.Fatalf("only %d hostile queries", len(cases))
	}
	for _, h := range cases {
		t.Run(h.Name, func(t *testing.T) {
			code, out, errb := runCLI(t, "query", "--db", db, "--timeout", "500ms", "--format", "csv", "--", h.SQL)
			if code != 1 || out != "" || !strings.HasPrefix(errb, "commonground query: ") || len(errb) < 30 {
				t.Fatalf("code %d out %.200q err %.300q", code, out, errb)
			}
			if strings.Contains(errb, db) || strings.Contains(errb, "goroutine") {
				t.Fatalf("message leaks internals: %s", errb)
			}
		})
	}
	for _, p := range []string{"/tmp/commonground-hostile.csv", "/tmp/commonground-hostile.parquet", "/tmp/commonground-hostile.duckdb"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	code, out, errb := runCLI(t, "query", "--db", db, "--format", "csv", "SELECT count(*) AS n FROM areas")
	if code != 0 || out != "n\n0\n" {
		t.Fatalf("after the hostile queries: %d %q %q", code, out, errb)
	}
}

func TestQueryTable(t *testing.T) {
	db := emptyWarehouse(t)
	code, out, errb := runCLI(t, "query", "--db", db, "SELECT range AS n, 'row ' || range AS label, range / 4 AS q FROM range(1500)")
	if code != 0 || !strings.HasPrefix(out, "n    label    q\n0    row 0    0\n1    row 1    0.25\n") ||
		!strings.HasSuffix(out, "(1500 rows; showing the first 1000 — use --format csv for all)\n") {
		t.Fatalf("code %d out %.200q…%q err %q", code, out, out[max(0, len(out)-80):], errb)
	}
	code, out, _ = runCLI(t, "query", "--db", db, "SELECT 1 AS one")
	if code != 0 || out != "one\n1\n(1 row)\n" {
		t.Fatalf("one row: %q", out)
	}
	code, _, errb = runCLI(t, "query", "--db", db, "--timeout", "1m", "SELECT 1")
	if code != 2 || !strings.Contains(errb, "at most 30s") {
		t.Fatalf("timeout flag: %d %q", code, errb)
	}
}
