package warehouse

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// RunInfo describes an ingest run as it starts.
type RunInfo struct {
	Dataset     string
	Synthetic   bool
	ToolVersion string
}

// FileRecord is what one source file contributed to a run.
type FileRecord struct {
	File, Source, Kind, SHA256, Encoding string
	Bytes, DataLines, Rows, Rejected     int64
}

// Reject is one row that could not be loaded.
type Reject struct {
	File   string
	Line   int64
	Column string
	Value  string
	Reason string
}

// Swap says how a run's staged rows replace the dataset's previous version.
type Swap struct {
	// Table is the target table in the store.
	Table string
	// Replace is an SQL predicate selecting the rows the dataset owns in
	// Table (they are deleted first); "" means every row.
	Replace string
	// Insert is a SELECT over the staging tables whose column names match
	// Table's; it runs as INSERT INTO Table BY NAME.
	Insert string
	// Derive statements run after the insert in the same transaction, to
	// refresh columns derived from several datasets.
	Derive []string
}

// RunResult is the provenance recorded when a run ends.
type RunResult struct {
	Source   []string
	SHA256   string
	Bytes    int64
	Files    []FileRecord
	Rejects  []Reject
	Rejected int64 // may exceed len(Rejects) when readers capped what they kept
	Warnings []string
	Notes    []string
	// Located and Unlocated count rows placed (or not) on the map; nil when
	// the dataset is not located.
	Located, Unlocated *int64
	// RejectFiles, when set, limits the pruning of earlier runs' rejects to
	// these files: for datasets whose files accumulate across runs.
	RejectFiles []string
}

// Load is one ingest run: a dedicated connection on which Arrow streams are
// staged into temporary tables and then swapped into the store in a single
// transaction, so a failed or killed run leaves the previous version in
// place. A Load is not safe for concurrent use.
type Load struct {
	db      *DB
	conn    driver.Conn
	ex      driver.ExecerContext
	arrow   *duckdb.Arrow
	runID   int64
	dataset string
	started time.Time
	done    bool
}

// BeginLoad records a "running" row in ingest_runs and opens the load's
// connection.
func (db *DB) BeginLoad(ctx context.Context, info RunInfo) (*Load, error) {
	if db.opts.ReadOnly {
		return nil, errors.New("begin load: the warehouse is open read-only")
	}
	l := &Load{db: db, dataset: info.Dataset, started: time.Now().UTC()}
	err := db.sql.QueryRowContext(ctx, `INSERT INTO ingest_runs (run_id, dataset, started_at, status, synthetic, tool_version)
		VALUES (nextval('ingest_run_seq'), ?, ?, 'running', ?, ?) RETURNING run_id`,
		info.Dataset, l.started, info.Synthetic, info.ToolVersion).Scan(&l.runID)
	if err != nil {
		return nil, fmt.Errorf("begin load %s: %w", info.Dataset, err)
	}
	conn, err := db.connector.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin load %s: %w", info.Dataset, err)
	}
	l.conn = conn
	l.ex = conn.(driver.ExecerContext)
	// Arrow views must live in the in-memory catalog, never in the file.
	if _, err := l.ex.ExecContext(ctx, "USE memory", nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin load %s: %w", info.Dataset, err)
	}
	l.arrow, err = duckdb.NewArrowFromConn(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin load %s: %w", info.Dataset, err)
	}
	return l, nil
}

// RunID is the ingest_runs.run_id of this load.
func (l *Load) RunID() int64 { return l.runID }

func (l *Load) exec(ctx context.Context, q string) (int64, error) {
	res, err := l.ex.ExecContext(ctx, q, nil)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// StagingName is the temporary table a staged stream of kind lands in.
func StagingName(kind string) string { return "stg_" + kind }

// CreateStaging creates (or empties) the temporary staging table for kind
// with the columns of schema, so Insert SQL can refer to it even when no
// file of that kind was given.
func (l *Load) CreateStaging(ctx context.Context, kind string, schema *arrow.Schema) error {
	cols := make([]string, len(schema.Fields()))
	for i, f := range schema.Fields() {
		t, err := duckType(f.Type)
		if err != nil {
			return fmt.Errorf("create staging %s: column %s: %w", kind, f.Name, err)
		}
		cols[i] = QuoteIdent(f.Name) + " " + t
	}
	q := "CREATE OR REPLACE TEMP TABLE " + QuoteIdent(StagingName(kind)) + " (" + strings.Join(cols, ", ") + ")"
	if _, err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("create staging %s: %w", kind, err)
	}
	return nil
}

func duckType(t arrow.DataType) (string, error) {
	switch t := t.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		return "VARCHAR", nil
	case *arrow.Int64Type:
		return "BIGINT", nil
	case *arrow.Int32Type:
		return "INTEGER", nil
	case *arrow.Float64Type:
		return "DOUBLE", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.Date32Type:
		return "DATE", nil
	case *arrow.BooleanType:
		return "BOOLEAN", nil
	case *arrow.BinaryType:
		return "BLOB", nil
	case *arrow.TimestampType:
		return "TIMESTAMP", nil
	}
	return "", fmt.Errorf("unsupported Arrow type %s", t)
}

var viewSeq atomic.Int64

// Stage appends the stream to kind's staging table (created by
// CreateStaging) and returns the rows appended. The stream's error, if any,
// fails the statement and is returned.
func (l *Load) Stage(ctx context.Context, kind string, rdr array.RecordReader) (int64, error) {
	view := fmt.Sprintf("arrow_in_%d_%d", l.runID, viewSeq.Add(1))
	release, err := l.arrow.RegisterView(rdr, view)
	if err != nil {
		return 0, fmt.Errorf("stage %s: %w", kind, err)
	}
	// Order matters: INSERT, DROP VIEW, then release (querying a released
	// stream crashes).
	n, err := l.exec(ctx, "INSERT INTO "+QuoteIdent(StagingName(kind))+" BY NAME SELECT * FROM "+QuoteIdent(view))
	if _, derr := l.exec(ctx, "DROP VIEW IF EXISTS "+QuoteIdent(view)); derr != nil && err == nil {
		err = derr
	}
	release()
	if err != nil {
		return 0, fmt.Errorf("stage %s: %w", kind, err)
	}
	return n, nil
}

// QueryRow runs a read query on the load's connection (staging tables are
// visible) and scans one row.
func (l *Load) QueryRow(ctx context.Context, q string, dest ...any) error {
	qr := l.conn.(driver.QueryerContext)
	rows, err := qr.QueryContext(ctx, q, nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(vals); err != nil {
		return err
	}
	for i, d := range dest {
		if err := convertAssign(d, vals[i]); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

func convertAssign(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case *int64:
		switch x := v.(type) {
		case int64:
			*d = x
		case int32:
			*d = int64(x)
		case uint64:
			*d = int64(x)
		case nil:
			*d = 0
		default:
			return fmt.Errorf("cannot scan %T into int64", v)
		}
	case *string:
		if v == nil {
			*d = ""
		} else {
			*d = fmt.Sprint(v)
		}
	case *any:
		*d = v
	default:
		return fmt.Errorf("unsupported destination %T", dest)
	}
	return nil
}

// Commit swaps the staged rows into the store and records the run as ok,
// all in one transaction. It returns the rows inserted.
func (l *Load) Commit(ctx context.Context, s Swap, res RunResult) (int64, error) {
	if l.done {
		return 0, errors.New("commit: load already finished")
	}
	if err := l.stageRejects(ctx, res); err != nil {
		return 0, fmt.Errorf("commit %s: %w", l.dataset, err)
	}
	target := "store.main." + QuoteIdent(s.Table)
	if _, err := l.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return 0, fmt.Errorf("commit %s: %w", l.dataset, err)
	}
	rollback := func(err error) (int64, error) {
		l.exec(context.WithoutCancel(ctx), "ROLLBACK")
		return 0, err
	}
	del := "DELETE FROM " + target
	if s.Replace != "" {
		del += " WHERE " + s.Replace
	}
	if _, err := l.exec(ctx, del); err != nil {
		return rollback(fmt.Errorf("commit %s: remove previous version: %w", l.dataset, err))
	}
	n, err := l.exec(ctx, "INSERT INTO "+target+" BY NAME "+s.Insert)
	if err != nil {
		return rollback(fmt.Errorf("commit %s: insert into %s: %w", l.dataset, s.Table, err))
	}
	for _, d := range s.Derive {
		if _, err := l.exec(ctx, d); err != nil {
			return rollback(fmt.Errorf("commit %s: derive: %w\n%s", l.dataset, err, d))
		}
	}
	if err := l.recordRun(ctx, "ok", nil, n, res, true); err != nil {
		return rollback(fmt.Errorf("commit %s: %w", l.dataset, err))
	}
	if _, err := l.exec(ctx, "COMMIT"); err != nil {
		return rollback(fmt.Errorf("commit %s: %w", l.dataset, err))
	}
	l.done = true
	return n, nil
}

// Fail records the run as failed with its error, files and rejects. The
// dataset's previous version is untouched.
func (l *Load) Fail(ctx context.Context, cause error, res RunResult) error {
	if l.done {
		return nil
	}
	l.done = true
	ctx = context.WithoutCancel(ctx)
	if err := l.stageRejects(ctx, res); err != nil {
		return fmt.Errorf("record failed run %s: %w", l.dataset, err)
	}
	if _, err := l.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("record failed run %s: %w", l.dataset, err)
	}
	if err := l.recordRun(ctx, "failed", cause, 0, res, false); err != nil {
		l.exec(ctx, "ROLLBACK")
		return fmt.Errorf("record failed run %s: %w", l.dataset, err)
	}
	if _, err := l.exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("record failed run %s: %w", l.dataset, err)
	}
	return nil
}

func (l *Load) recordRun(ctx context.Context, status string, cause error, rows int64, res RunResult, prune bool, staged ...bool) error {
	errText := ""
	if cause != nil {
		errText = cause.Error()
	}
	q := fmt.Sprintf(`UPDATE store.main.ingest_runs SET source = %s, sha256 = %s, bytes = %d, finished_at = %s,
		rows_loaded = %d, rows_rejected = %d, status = %s, error = %s, warnings = %s, notes = %s, located = %s, unlocated = %s
		WHERE run_id = %d`,
		QuoteString(strings.Join(res.Source, "\n")), QuoteString(res.SHA256), res.Bytes,
		QuoteString(time.Now().UTC().Format("2006-01-02 15:04:05.000000")), rows, res.Rejected,
		QuoteString(status), nullableString(errText), nullableString(strings.Join(res.Warnings, "\n")),
		nullableString(strings.Join(res.Notes, "\n")), nullableInt(res.Located), nullableInt(res.Unlocated), l.runID)
	if _, err := l.exec(ctx, q); err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	for _, f := range res.Files {
		q := fmt.Sprintf(`INSERT INTO store.main.ingest_files VALUES (%d, %s, %s, %s, %s, %s, %d, %s, %d, %d, %d)`,
			l.runID, QuoteString(l.dataset), QuoteString(f.File), QuoteString(f.Source), QuoteString(f.Kind),
			QuoteString(f.SHA256), f.Bytes, QuoteString(f.Encoding), f.DataLines, f.Rows, f.Rejected)
		if _, err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("record files: %w", err)
		}
	}
	if prune {
		// Keep rejects only for the version now in place: the whole dataset,
		// or just the files this run replaced.
		scope := ""
		if len(res.RejectFiles) > 0 {
			q := make([]string, len(res.RejectFiles))
			for i, f := range res.RejectFiles {
				q[i] = QuoteString(f)
			}
			scope = " AND file IN (" + strings.Join(q, ", ") + ")"
		}
		if _, err := l.exec(ctx, fmt.Sprintf(`DELETE FROM store.main.ingest_rejects WHERE dataset = %s AND run_id <> %d%s`,
			QuoteString(l.dataset), l.runID, scope)); err != nil {
			return fmt.Errorf("prune rejects: %w", err)
		}
	}
	if len(staged) > 0 && !staged[0] {
		return nil // CommitStream writes its rejects itself
	}
	if _, err := l.exec(ctx, fmt.Sprintf(`INSERT INTO store.main.ingest_rejects
		SELECT %d, %s, file, line, "column", value, reason FROM stg_rejects`, l.runID, QuoteString(l.dataset))); err != nil {
		return fmt.Errorf("record rejects: %w", err)
	}
	return nil
}

func nullableInt(n *int64) string {
	if n == nil {
		return "NULL"
	}
	return fmt.Sprint(*n)
}

func nullableString(s string) string {
	if s == "" {
		return "NULL"
	}
	return QuoteString(s)
}

var rejectSchema = arrow.NewSchema([]arrow.Field{
	{Name: "file", Type: arrow.BinaryTypes.String},
	{Name: "line", Type: arrow.PrimitiveTypes.Int64},
	{Name: "column", Type: arrow.BinaryTypes.String},
	{Name: "value", Type: arrow.BinaryTypes.String},
	{Name: "reason", Type: arrow.BinaryTypes.String},
}, nil)

func (l *Load) stageRejects(ctx context.Context, res RunResult) error {
	if err := l.CreateStaging(ctx, "rejects", rejectSchema); err != nil {
		return err
	}
	if len(res.Rejects) == 0 {
		return nil
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, rejectSchema)
	defer b.Release()
	var recs []arrow.RecordBatch
	flush := func() {
		recs = append(recs, b.NewRecordBatch())
	}
	for i, r := range res.Rejects {
		b.Field(0).(*array.StringBuilder).Append(r.File)
		b.Field(1).(*array.Int64Builder).Append(r.Line)
		b.Field(2).(*array.StringBuilder).Append(r.Column)
		b.Field(3).(*array.StringBuilder).Append(r.Value)
		b.Field(4).(*array.StringBuilder).Append(r.Reason)
		if (i+1)%8192 == 0 {
			flush()
		}
	}
	flush()
	rdr, err := array.NewRecordReader(rejectSchema, recs)
	for _, r := range recs {
		r.Release()
	}
	if err != nil {
		return err
	}
	defer rdr.Release()
	_, err = l.Stage(ctx, "rejects", rdr)
	return err
}

// Close releases the load's connection (and with it the staging tables).
// A load closed without Commit or Fail is recorded as failed.
func (l *Load) Close() error {
	if !l.done {
		l.Fail(context.Background(), errors.New("load closed without commit"), RunResult{})
	}
	return l.conn.Close()
}

// QueryArrow runs a read query on the load's connection (staging tables and
// the store are visible) and streams the result as Arrow. Release the
// reader before the next call on this load.
func (l *Load) QueryArrow(ctx context.Context, q string) (array.RecordReader, error) {
	return l.arrow.QueryContext(ctx, q)
}
