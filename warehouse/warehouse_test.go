package warehouse

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var lookupSchema = arrow.NewSchema([]arrow.Field{
	{Name: "lsoa_code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ward_code", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func lookupReader(t *testing.T, rows [][2]string) array.RecordReader {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, lookupSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r[0])
		b.Field(1).(*array.StringBuilder).Append(r[1])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rdr, err := array.NewRecordReader(lookupSchema, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatal(err)
	}
	return rdr
}

func loadLookup(t *testing.T, db *DB, rows [][2]string, insert string) (int64, error) {
	t.Helper()
	ctx := t.Context()
	l, err := db.BeginLoad(ctx, RunInfo{Dataset: "lookup-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CreateStaging(ctx, "lu", lookupSchema); err != nil {
		t.Fatal(err)
	}
	rdr := lookupReader(t, rows)
	defer rdr.Release()
	if _, err := l.Stage(ctx, "lu", rdr); err != nil {
		t.Fatal(err)
	}
	res := RunResult{Source: []string{"test"}, Rejects: []Reject{{File: "f.csv", Line: 3, Column: "x", Value: "?", Reason: "bad"}}, Rejected: 1}
	n, err := l.Commit(ctx, Swap{Table: "lookup_lsoa_ward_lad", Insert: insert}, res)
	if err != nil {
		l.Fail(ctx, err, res)
	}
	return n, err
}

const goodInsert = `SELECT lsoa_code, 2011 AS lsoa_vintage, ward_code, 2021 AS ward_vintage FROM stg_lu`

func TestLoadSwapsAtomicallyAndRecordsProvenance(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := loadLookup(t, db, [][2]string{{"E01000001", "E05000001"}, {"E01000002", "E05000002"}}, goodInsert); err != nil || n != 2 {
		t.Fatalf("first load: n=%d err=%v", n, err)
	}
	// A failing insert (NOT NULL lsoa_vintage violated) leaves the first version.
	_, err = loadLookup(t, db, [][2]string{{"E01000009", "E05000009"}}, `SELECT lsoa_code, NULL::INTEGER AS lsoa_vintage, ward_code, 2021 AS ward_vintage FROM stg_lu`)
	if err == nil {
		t.Fatal("second load should fail")
	}
	var n int
	var codes string
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*), string_agg(lsoa_code, ',' ORDER BY lsoa_code) FROM lookup_lsoa_ward_lad`).Scan(&n, &codes); err != nil {
		t.Fatal(err)
	}
	if n != 2 || codes != "E01000001,E01000002" {
		t.Fatalf("after failed load: %d rows %s, want the first version", n, codes)
	}
	var statuses string
	if err := db.SQL().QueryRowContext(ctx, `SELECT string_agg(status, ',' ORDER BY run_id) FROM ingest_runs`).Scan(&statuses); err != nil {
		t.Fatal(err)
	}
	if statuses != "ok,failed" {
		t.Fatalf("statuses = %s", statuses)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen as a new process would: no Arrow view may have been persisted.
	db, err = Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var views int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE NOT internal AND view_name LIKE 'arrow%'`).Scan(&views); err != nil {
		t.Fatal(err)
	}
	if views != 0 {
		t.Fatalf("%d views persisted", views)
	}
	var rejects int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM ingest_rejects WHERE line = 3 AND reason = 'bad'`).Scan(&rejects); err != nil {
		t.Fatal(err)
	}
	if rejects != 2 {
		t.Fatalf("rejects = %d, want 2 (the ok run's and the failed run's)", rejects)
	}
}

func TestQueryIsReadOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		q       string
		wantErr string
	}{
		{"SELECT count(*) FROM areas", ""},
		{"WITH x AS (SELECT 1 AS a) SELECT a FROM x", ""},
		{"DELETE FROM areas", "read-only"},
		{"DROP TABLE areas", "read-only"},
		{"SELECT 1; DROP TABLE areas", "more than one statement"},
		{"COPY areas TO '/tmp/x.csv'", ""}, // refused either by type or by external access
		{"ATTACH '/tmp/other.duckdb' AS o", ""},
		{"SELECT * FROM read_csv('/etc/passwd')", "disabled"},
		{"SET threads = 1", "read-only"},
		{"INSTALL spatial", ""},
	}
	for _, tt := range tests {
		rows, err := db.Query(ctx, tt.q)
		if tt.q == "SELECT count(*) FROM areas" || strings.HasPrefix(tt.q, "WITH") {
			if err != nil {
				t.Errorf("%s: %v", tt.q, err)
				continue
			}
			rows.Close()
			continue
		}
		if err == nil {
			rows.Close()
			t.Errorf("%s: no error", tt.q)
			continue
		}
		if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %q, want it to mention %q", tt.q, err, tt.wantErr)
		}
	}
	if _, err := db.Query(ctx, "DELETE FROM areas"); !errors.Is(err, ErrNotReadOnly) {
		t.Errorf("DELETE: %v is not ErrNotReadOnly", err)
	}
	// The table survived everything.
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), "SELECT count(*) FROM areas").Scan(&n); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsAreOrdered(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != len(ms) {
		t.Fatalf("migrations %d, version %d", len(ms), SchemaVersion())
	}
}
