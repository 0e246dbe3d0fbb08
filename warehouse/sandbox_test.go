package warehouse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"commonground/warehouse/hostile"
)

func lockedDB(t *testing.T) (*DB, string) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	export := filepath.Join(dir, "export")
	if err := os.Mkdir(export, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := db.Lockdown(ctx, export); err != nil {
		t.Fatal(err)
	}
	return db, export
}

func TestSandboxRefusesHostileQueries(t *testing.T) {
	db, export := lockedDB(t)
	sb := NewSandbox(db, SandboxOptions{Timeout: 500 * time.Millisecond, ExportDir: export})
	ctx := t.Context()
	cases := hostile.Queries()
	if len(cases) < 30 {
		t.Fatalf("only %d hostile queries", len(cases))
	}
	for _, h := range cases {
		t.Run(h.Name, func(t *testing.T) {
			res, err := sb.Preview(ctx, h.SQL)
			if err == nil {
				t.Fatalf("ran: %+v", res)
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error is not a QueryError: %v", err)
			}
			if qe.Msg == "" || strings.Contains(qe.Msg, db.Path()) || strings.Contains(qe.Msg, "goroutine") {
				t.Fatalf("unclear message: %q", qe.Msg)
			}
			t.Logf("%d %s", qe.Kind, qe.Msg)
			// The service still answers.
			r, err := sb.Preview(ctx, "SELECT count(*) AS n FROM datasets")
			if err != nil || len(r.Rows) != 1 {
				t.Fatalf("after %s: %v", h.Name, err)
			}
		})
	}
	for _, p := range []string{"/tmp/commonground-hostile.csv", "/tmp/commonground-hostile.parquet", "/tmp/commonground-hostile.duckdb", "/tmp/commonground-hostile-export"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
}

func TestSandboxPreview(t *testing.T) {
	db, _ := lockedDB(t)
	sb := NewSandbox(db, SandboxOptions{MaxRows: 10})
	res, err := sb.Preview(t.Context(), "SELECT range AS n, 'r' || range AS label, range * 1.5 AS half, DATE '2024-01-01' + range::INTEGER AS d, TIMESTAMP '2024-01-01 10:30:00' AS ts FROM range(25000) ORDER BY n DESC")
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 25000 || !res.Truncated || len(res.Rows) != 10 {
		t.Fatalf("total %d truncated %v rows %d", res.Total, res.Truncated, len(res.Rows))
	}
	want := []ResultColumn{{"n", "BIGINT"}, {"label", "VARCHAR"}, {"half", "DECIMAL(21,1)"}, {"d", "DATE"}}
	for i, c := range want {
		if res.Columns[i] != c {
			t.Errorf("column %d = %+v, want %+v", i, res.Columns[i], c)
		}
	}
	if res.Rows[0][0] != int64(24999) || res.Rows[0][1] != "r24999" || res.Rows[0][3] != "2092-06-11" || res.Rows[0][4] != "2024-01-01 10:30:00" {
		t.Fatalf("first row %v", res.Rows[0])
	}
	// EXPLAIN works; ordinary functions are not mistaken for side effects.
	for _, q := range []string{"EXPLAIN SELECT * FROM range(10)", "explain analyze SELECT sum(range) FROM range(10)",
		"SELECT upper('a') AS u, random() < 2 AS r, current_setting('threads') AS t"} {
		if _, err := sb.Preview(t.Context(), q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// A function with a side effect is refused by name from the parse tree.
	if _, err := db.SQL().ExecContext(t.Context(), "CREATE SEQUENCE IF NOT EXISTS s"); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Preview(t.Context(), "SELECT n FROM (SELECT 1 AS n) WHERE n IN (SELECT NEXTVAL('s'))"); err == nil || !strings.Contains(err.Error(), "nextval") {
		t.Fatalf("nextval in a subquery: %v", err)
	}
}

// The server's own writes still work after Lockdown: Arrow staging and the
// swap transaction.
func TestWritesAfterLockdown(t *testing.T) {
	db, _ := lockedDB(t)
	if n, err := loadLookup(t, db, [][2]string{{"E01000001", "E05000001"}}, goodInsert); err != nil || n != 1 {
		t.Fatalf("load after lockdown: n=%d err=%v", n, err)
	}
	if _, err := db.SQL().ExecContext(t.Context(), "CHECKPOINT store"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(t.Context(), "SET enable_external_access = true"); err == nil {
		t.Fatal("configuration is not locked")
	}
}

func TestSandboxBusyAndTimeout(t *testing.T) {
	db, _ := lockedDB(t)
	sb := NewSandbox(db, SandboxOptions{Timeout: 300 * time.Millisecond, MaxConcurrent: 1, MaxQueue: 1, QueueWait: 50 * time.Millisecond})
	slow := "SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE a.range + b.range = -1"
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = sb.Preview(context.Background(), slow)
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	busy, timeout := 0, 0
	for _, err := range errs {
		var qe *QueryError
		switch {
		case errors.Is(err, ErrBusy):
			busy++
		case errors.As(err, &qe) && qe.Kind == ErrTimeout:
			timeout++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if busy == 0 || timeout == 0 {
		t.Fatalf("busy %d timeout %d", busy, timeout)
	}
}

func TestSandboxParquet(t *testing.T) {
	db, export := lockedDB(t)
	sb := NewSandbox(db, SandboxOptions{ExportDir: export})
	var size int64
	err := sb.StreamParquet(t.Context(), "SELECT range AS n FROM range(1000)", nil, func(path string) error {
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		size = st.Size()
		return nil
	})
	if err != nil || size == 0 {
		t.Fatalf("size %d err %v", size, err)
	}
	// A result too big for the disk cap is stopped while being written.
	small := NewSandbox(db, SandboxOptions{ExportDir: export, MaxExportBytes: 1 << 20, DownloadTimeout: 20 * time.Second})
	err = small.StreamParquet(t.Context(), "SELECT md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS h FROM range(100000000)", nil,
		func(string) error { return errors.New("should not be called") })
	if err == nil || !strings.Contains(err.Error(), "too big to download") {
		t.Fatalf("over the cap: %v", err)
	}
	left, _ := os.ReadDir(export)
	if len(left) != 0 {
		t.Fatalf("export left %d files", len(left))
	}
}

// The public console cannot read the ingest tables, which name files on
// the server, however it refers to them; their views give the rows with
// file names only. The operator's CLI (ReadPrivate) can.
func TestSandboxPrivateTables(t *testing.T) {
	db, _ := lockedDB(t)
	ctx := t.Context()
	// Written before the console opens, as an ingest would (the server's
	// own writes work after Lockdown).
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO ingest_runs (run_id, dataset, source, started_at, status, error) VALUES
		(1, 'imd2019', '/srv/private/data/File_1.csv'||chr(10)||'https://example.org/File_2.csv', now(), 'failed',
		 'imd2019: /srv/private/data/File_1.csv: line 3, column Score: not a number'),
		(2, 'postcodes', 'C:\Users\ops\pc.csv', now(), 'ok', NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO ingest_files (run_id, dataset, file, source) VALUES (1, 'imd2019', 'File_1.csv', '/srv/private/data/File_1.csv')`); err != nil {
		t.Fatal(err)
	}
	sb := NewSandbox(db, SandboxOptions{})
	for _, q := range []string{
		"SELECT source FROM ingest_runs",
		"select * from MAIN.Ingest_Files",
		"SELECT * FROM store.main.ingest_runs",
		"SELECT 1 WHERE EXISTS (SELECT 1 FROM ingest_files)",
		"WITH x AS (SELECT * FROM ingest_runs) SELECT * FROM x",
		"EXPLAIN ANALYZE SELECT * FROM ingest_runs",
		"SELECT * FROM load_runs JOIN ingest_files USING (run_id)",
	} {
		_, err := sb.Preview(ctx, q)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Kind != ErrForbidden || !strings.Contains(qe.Msg, "load_") {
			t.Errorf("%s: %v", q, err)
		}
	}
	res, err := sb.Preview(ctx, "SELECT source, error FROM load_runs ORDER BY run_id")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"File_1.csv\nhttps://example.org/File_2.csv", "imd2019: File_1.csv: line 3, column Score: not a number"}, {"pc.csv", ""}}
	for i, w := range want {
		got0, _ := res.Rows[i][0].(string)
		got1, _ := res.Rows[i][1].(string)
		if got0 != w[0] || got1 != w[1] {
			t.Errorf("load_runs row %d: %q %q, want %q %q", i, got0, got1, w[0], w[1])
		}
	}
	res, err = sb.Preview(ctx, "SELECT source FROM load_files")
	if err != nil || res.Rows[0][0] != "File_1.csv" {
		t.Errorf("load_files: %v %v", res, err)
	}
	op := NewSandbox(db, SandboxOptions{ReadPrivate: true})
	if res, err := op.Preview(ctx, "SELECT source FROM ingest_files"); err != nil || res.Rows[0][0] != "/srv/private/data/File_1.csv" {
		t.Errorf("the operator's query: %v %v", res, err)
	}
}
