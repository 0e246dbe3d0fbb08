package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"commonground/warehouse"
)

// hostileQueries reads the shared list (warehouse/testdata/hostile.sql)
// and adds the generated cases, as the warehouse and HTTP tests do.
func hostileQueries(t *testing.T) [][2]string {
	t.Helper()
	b, err := os.ReadFile("../../warehouse/testdata/hostile.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "-- name: "); ok {
			out = append(out, [2]string{name, ""})
			continue
		}
		if len(out) > 0 {
			out[len(out)-1][1] += line + "\n"
		}
	}
	return append(out,
		[2]string{"a huge string literal", "SELECT '" + strings.Repeat("x", 1<<20) + "' AS x"},
		[2]string{"invalid UTF-8", "SELECT '\xff\xfe\xfd' AS x"},
		[2]string{"a NUL byte", "SELECT 1\x00; DROP TABLE areas"},
		[2]string{"many statements", strings.Repeat("SELECT 1;\n", 2000)})
}

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
	hostile := hostileQueries(t)
	if len(hostile) < 30 {
		t.Fatalf("only %d hostile queries", len(hostile))
	}
	for _, h := range hostile {
		t.Run(h[0], func(t *testing.T) {
			code, out, errb := runCLI(t, "query", "--db", db, "--timeout", "500ms", "--format", "csv", "--", h[1])
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
