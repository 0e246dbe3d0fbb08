package warehouse

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Sandbox limits. The display limit is short because the console is shared;
// an operator may raise it, never above MaxSandboxTimeout.
const (
	DefaultSandboxTimeout = time.Second
	MaxSandboxTimeout     = 30 * time.Second
	DefaultMaxRows        = 1000
	DefaultMaxQueryBytes  = 64 << 10
	// DefaultMaxResultBytes caps the values held for one displayed result
	// (rows beyond it are counted, not kept).
	DefaultMaxResultBytes = 8 << 20
	// DefaultMaxTempSize bounds what DuckDB may spill to disk for all
	// queries together.
	DefaultMaxTempSize = "4GB"
)

// ErrBusy is returned when every sandbox slot is taken and the queue is
// full (HTTP 429).
var ErrBusy = errors.New("the SQL service is busy: too many queries are running; please try again in a few seconds")

// QueryErrorKind classifies why user SQL was refused or failed.
type QueryErrorKind int

const (
	// ErrInvalid: empty, not UTF-8, a syntax or binder error (HTTP 400).
	ErrInvalid QueryErrorKind = iota + 1
	// ErrForbidden: not a read statement, or touches files (HTTP 403).
	ErrForbidden
	// ErrTooLarge: the query text is over the size limit (HTTP 413).
	ErrTooLarge
	// ErrTimeout: ran out of time and was cancelled (HTTP 408).
	ErrTimeout
	// ErrTooMuchMemory: DuckDB's memory limit was hit (HTTP 422).
	ErrTooMuchMemory
	// ErrFailed: any other error while running (HTTP 422).
	ErrFailed
)

// QueryError is an error in a user's SQL, with a message fit to show them:
// no Go internals and no file paths of the server.
type QueryError struct {
	Kind QueryErrorKind
	Msg  string
	Err  error // the cause, for logs
}

func (e *QueryError) Error() string { return e.Msg }
func (e *QueryError) Unwrap() error { return e.Err }

// SandboxOptions configure NewSandbox. Zero values take the defaults.
type SandboxOptions struct {
	// Timeout limits a displayed query (console, /api/sql JSON): default 1 s,
	// at most 30 s.
	Timeout time.Duration
	// DownloadTimeout limits a full download (CSV, JSON, Parquet, GeoJSON):
	// default 30 s, at most 5 minutes.
	DownloadTimeout time.Duration
	// MaxConcurrent queries run at once (default 4, the connection pool);
	// MaxQueue more may wait for a slot (default 8 x MaxConcurrent) for at
	// most QueueWait (default 5 s); beyond that ErrBusy.
	MaxConcurrent int
	MaxQueue      int
	QueueWait     time.Duration
	// MaxRows is the number of rows kept for display (default 1000).
	MaxRows int
	// MaxQueryBytes limits the SQL text (default 64 KiB).
	MaxQueryBytes int
	// MaxExportBytes caps one Parquet file in ExportDir (default 1 GB).
	MaxExportBytes int64
	// ExportDir is the private directory Parquet exports are written to; it
	// must be the directory given to Lockdown. Empty disables Parquet.
	ExportDir string
	// ReadPrivate lets queries read PrivateTables: for `commonground
	// query`, whose user is the server's operator, not the public.
	ReadPrivate bool
}

// Sandbox runs untrusted SQL: one read statement at a time, checked by
// DuckDB's statement type, inside a transaction that is always rolled back,
// with a time limit and a bounded number of concurrent queries. The
// database-wide rules (no file access, locked configuration) are set by
// Lockdown.
type Sandbox struct {
	db    *DB
	opts  SandboxOptions
	slots chan struct{}
	queue chan struct{}
}

// NewSandbox returns a sandbox over db with opts (defaults filled in).
func NewSandbox(db *DB, opts SandboxOptions) *Sandbox {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultSandboxTimeout
	}
	opts.Timeout = min(opts.Timeout, MaxSandboxTimeout)
	if opts.DownloadTimeout <= 0 {
		opts.DownloadTimeout = 30 * time.Second
	}
	opts.DownloadTimeout = min(max(opts.DownloadTimeout, opts.Timeout), 5*time.Minute)
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = 8 * opts.MaxConcurrent
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = 5 * time.Second
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	if opts.MaxExportBytes <= 0 {
		opts.MaxExportBytes = 1 << 30
	}
	if opts.MaxQueryBytes <= 0 {
		opts.MaxQueryBytes = DefaultMaxQueryBytes
	}
	return &Sandbox{db: db, opts: opts, slots: make(chan struct{}, opts.MaxConcurrent),
		queue: make(chan struct{}, opts.MaxQueue)}
}

// Options reports the sandbox's effective limits.
func (s *Sandbox) Options() SandboxOptions { return s.opts }

// Lockdown applies the sandbox's database-wide rules once, after
// migrations: no file system access except exportDir (for Parquet
// exports; "" for none), a cap on spilled temporary data, then a locked
// configuration so user SQL cannot SET any of it back. These settings are
// per database in DuckDB, so they also bind the server's own writes; those
// go through Arrow views and SQL on the store, which still work.
func (db *DB) Lockdown(ctx context.Context, exportDir string) error {
	var stmts []string
	var external, locked bool
	if err := db.sql.QueryRowContext(ctx, "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')").Scan(&external, &locked); err != nil {
		return fmt.Errorf("lockdown: %w", err)
	}
	if locked {
		return nil // already done (a second dashboard over the same database)
	}
	if external {
		if exportDir != "" {
			abs, err := filepath.Abs(exportDir)
			if err != nil {
				return fmt.Errorf("lockdown: %w", err)
			}
			stmts = append(stmts, "SET allowed_directories = ["+QuoteString(strings.TrimSuffix(abs, "/")+"/")+"]")
		}
		stmts = append(stmts, "SET max_temp_directory_size = "+QuoteString(DefaultMaxTempSize), "SET enable_external_access = false")
	}
	stmts = append(stmts, "SET lock_configuration = true")
	for _, q := range stmts {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lockdown: %s: %w", q, err)
		}
	}
	return nil
}

// NewExportDir makes a private directory for Parquet exports (0700).
func NewExportDir() (string, error) {
	d, err := os.MkdirTemp("", "commonground-export-")
	if err != nil {
		return "", fmt.Errorf("export directory: %w", err)
	}
	return d, nil
}

// Check validates q without running it: size, UTF-8, exactly one
// statement, and a read statement by DuckDB's own statement type.
func (s *Sandbox) Check(ctx context.Context, q string) (StatementInfo, error) {
	conn, err := s.db.sql.Conn(ctx)
	if err != nil {
		return StatementInfo{}, err
	}
	defer conn.Close()
	_, info, err := s.check(ctx, conn, q)
	return info, err
}

func (s *Sandbox) check(ctx context.Context, conn *sql.Conn, q string) (string, StatementInfo, error) {
	if len(q) > s.opts.MaxQueryBytes {
		return "", StatementInfo{}, &QueryError{Kind: ErrTooLarge,
			Msg: fmt.Sprintf("The query is too long (%d KB); the limit is %d KB.", len(q)>>10, s.opts.MaxQueryBytes>>10)}
	}
	if !utf8.ValidString(q) {
		return "", StatementInfo{}, &QueryError{Kind: ErrInvalid, Msg: "The query is not valid UTF-8 text."}
	}
	if strings.ContainsRune(q, 0) {
		return "", StatementInfo{}, &QueryError{Kind: ErrInvalid, Msg: "The query contains a NUL character."}
	}
	q = strings.TrimSpace(q)
	q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	if q == "" {
		return "", StatementInfo{}, &QueryError{Kind: ErrInvalid, Msg: "The query is empty: write one SELECT statement."}
	}
	info, err := describe(ctx, conn, q)
	if err != nil {
		if errors.Is(err, ErrNotReadOnly) {
			return "", info, &QueryError{Kind: ErrForbidden, Msg: "Only one statement can be run at a time: remove the others.", Err: err}
		}
		return "", info, s.userError(ctx, err)
	}
	if info.Type != "SELECT" && info.Type != "EXPLAIN" {
		return "", info, &QueryError{Kind: ErrForbidden, Err: ErrNotReadOnly,
			Msg: fmt.Sprintf("Only read-only statements (SELECT, WITH … SELECT, EXPLAIN) are allowed; this is %s.", info.Type)}
	}
	inner := q
	if info.Type == "EXPLAIN" {
		// EXPLAIN ANALYZE runs the query, so the query inside is checked
		// too; text that does not parse on its own is refused.
		m := explainPrefix.FindStringIndex(q)
		if m == nil {
			return "", info, &QueryError{Kind: ErrForbidden, Msg: "Write EXPLAIN (or EXPLAIN ANALYZE) at the very start, followed by one SELECT."}
		}
		inner = q[m[1]:]
	}
	if err := checkFunctions(ctx, conn, inner, s.opts.ReadPrivate); err != nil {
		return "", info, s.userError(ctx, err)
	}
	return q, info, nil
}

var explainPrefix = regexp.MustCompile(`(?i)^EXPLAIN\s+(ANALY[SZ]E\s+)?`)

// sideEffectFunctions are functions callable inside a SELECT that change
// something outside the query (checkpoints, sequences, settings, logs),
// or run SQL text the check below cannot see into (query, query_table,
// json_execute_serialized_sql). Names starting enable_ or disable_ are
// refused too. File readers need no entry: the file system is closed.
var sideEffectFunctions = map[string]bool{
	"checkpoint": true, "force_checkpoint": true, "nextval": true, "setseed": true,
	"truncate_duckdb_logs": true, "import_database": true, "copy_database": true, "add_parquet_key": true,
	"query": true, "query_table": true, "json_execute_serialized_sql": true, "json_deserialize_sql": true,
}

// PrivateTables are tables user SQL may not read, each with the view to
// read instead (migrations/0010_load_history.sql): they hold paths on the
// server.
var PrivateTables = map[string]string{"ingest_runs": "load_runs", "ingest_files": "load_files"}

// checkFunctions asks DuckDB's parser for the query's syntax tree
// (json_serialize_sql, with the text as a bound parameter) and refuses any
// call to a function with side effects, at any depth, and any reference
// to a private table.
func checkFunctions(ctx context.Context, conn *sql.Conn, q string, readPrivate bool) error {
	var tree string
	if err := conn.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", q).Scan(&tree); err != nil {
		return err
	}
	var doc struct {
		Error        bool            `json:"error"`
		ErrorMessage string          `json:"error_message"`
		Statements   json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(tree), &doc); err != nil {
		return fmt.Errorf("read syntax tree: %w", err)
	}
	if doc.Error {
		return &QueryError{Kind: ErrForbidden, Msg: "This query cannot be checked by the sandbox (" + doc.ErrorMessage + "); write it as a plain SELECT."}
	}
	var root any
	if err := json.Unmarshal(doc.Statements, &root); err != nil {
		return fmt.Errorf("read syntax tree: %w", err)
	}
	if list, ok := root.([]any); !ok || len(list) != 1 {
		return &QueryError{Kind: ErrForbidden, Msg: "Only one statement can be run at a time: remove the others."}
	}
	var bad, private string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "BASE_TABLE" && !readPrivate {
				if name, ok := x["table_name"].(string); ok && PrivateTables[strings.ToLower(name)] != "" {
					private = strings.ToLower(name)
				}
			}
			if name, ok := x["function_name"].(string); ok {
				n := strings.ToLower(name)
				if sideEffectFunctions[n] || strings.HasPrefix(n, "enable_") || strings.HasPrefix(n, "disable_") {
					bad = name
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(root)
	if private != "" {
		return &QueryError{Kind: ErrForbidden, Msg: fmt.Sprintf("The table %s names files on the server, so the console cannot read it: query %s instead (the same rows, with file names but not their paths).", private, PrivateTables[private])}
	}
	switch bad {
	case "":
	case "query", "query_table", "json_execute_serialized_sql", "json_deserialize_sql":
		return &QueryError{Kind: ErrForbidden, Msg: fmt.Sprintf("The function %s runs SQL given as text, which the sandbox cannot check: write the query directly.", bad)}
	default:
		return &QueryError{Kind: ErrForbidden, Msg: fmt.Sprintf("The function %s changes the database or its settings, so it cannot be used here.", bad)}
	}
	return nil
}

// acquire takes a slot, waiting in a bounded queue.
func (s *Sandbox) acquire(ctx context.Context) (func(), error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	default:
	}
	select {
	case s.queue <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-s.queue }()
	t := time.NewTimer(s.opts.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Column is a result column with its DuckDB type.
type ResultColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is a displayed query result: the first MaxRows rows, and the
// count of all of them.
type Result struct {
	Columns []ResultColumn
	// Rows hold JSON-ready values (numbers, strings, booleans, nil, lists,
	// objects); BLOBs are a short "<n bytes>" note.
	Rows      [][]any
	Total     int64
	Truncated bool
	Elapsed   time.Duration
	Timeout   time.Duration
	// Bytes is about how much memory Rows hold.
	Bytes int
}

// Preview runs q (a single read statement) within the display time limit
// and returns its first MaxRows rows and the total row count. Rows past the
// cap are counted batch by batch through Arrow, not converted.
func (s *Sandbox) Preview(ctx context.Context, q string, args ...any) (*Result, error) {
	start := time.Now()
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	conn, err := s.db.sql.Conn(ctx)
	if err != nil {
		return nil, s.userError(ctx, err)
	}
	defer conn.Close()
	q, info, err := s.check(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	res := &Result{Timeout: s.opts.Timeout}
	for i, name := range info.Columns {
		t := ""
		if i < len(info.ColumnTypes) {
			t = info.ColumnTypes[i]
		}
		res.Columns = append(res.Columns, ResultColumn{Name: name, Type: t})
	}
	err = conn.Raw(func(dc any) error {
		return inRolledBackTx(ctx, dc, func() error {
			a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
			if err != nil {
				return err
			}
			rr, err := a.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rr.Release()
			if len(res.Columns) == 0 { // EXPLAIN: columns come with the result
				for _, f := range rr.Schema().Fields() {
					t := f.Type.String()
					if t == "utf8" {
						t = "VARCHAR"
					}
					res.Columns = append(res.Columns, ResultColumn{Name: f.Name, Type: t})
				}
			}
			bytes := 0
			for rr.Next() {
				rec := rr.RecordBatch()
				n := int(rec.NumRows())
				for i := 0; i < n && !res.Truncated; i++ {
					if len(res.Rows) >= s.opts.MaxRows || bytes >= DefaultMaxResultBytes {
						res.Truncated = true
						break
					}
					row := make([]any, rec.NumCols())
					for j, col := range rec.Columns() {
						row[j] = displayValue(col, i, &bytes)
					}
					res.Rows = append(res.Rows, row)
				}
				res.Total += int64(n)
			}
			res.Bytes = bytes
			return rr.Err()
		})
	})
	res.Elapsed = time.Since(start)
	if err != nil {
		return nil, s.userError(ctx, err)
	}
	return res, nil
}

// Stream runs q within the download time limit and hands the rows to fn,
// which must read them as it writes (constant memory). The transaction is
// rolled back after fn returns.
func (s *Sandbox) Stream(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, s.opts.DownloadTimeout)
	defer cancel()
	conn, err := s.db.sql.Conn(ctx)
	if err != nil {
		return s.userError(ctx, err)
	}
	defer conn.Close()
	q, _, err = s.check(ctx, conn, q)
	if err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return s.userError(ctx, err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return s.userError(ctx, err)
	}
	defer rows.Close()
	if err := fn(rows); err != nil {
		return s.userError(ctx, err)
	}
	if err := rows.Err(); err != nil {
		return s.userError(ctx, err)
	}
	return nil
}

// StreamParquet writes the result of q to a Parquet file in the export
// directory with DuckDB's COPY and hands fn the path; the file is removed
// after fn returns.
func (s *Sandbox) StreamParquet(ctx context.Context, q string, args []any, fn func(path string) error) error {
	if s.opts.ExportDir == "" {
		return &QueryError{Kind: ErrFailed, Msg: "Parquet downloads are not enabled on this server."}
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, s.opts.DownloadTimeout)
	defer cancel()
	conn, err := s.db.sql.Conn(ctx)
	if err != nil {
		return s.userError(ctx, err)
	}
	defer conn.Close()
	q, _, err = s.check(ctx, conn, q)
	if err != nil {
		return err
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	path := filepath.Join(s.opts.ExportDir, hex.EncodeToString(rnd[:])+".parquet")
	defer os.Remove(path)
	// The user's text is a checked single SELECT; the wrapped statement is
	// checked again so that text cannot change what the COPY does, and the
	// locked-down database can only write under the export directory.
	copyQ := "COPY (\n" + q + "\n) TO " + QuoteString(path) + " (FORMAT parquet, COMPRESSION zstd)"
	info, err := describe(ctx, conn, copyQ)
	if err != nil {
		return s.userError(ctx, err)
	}
	if info.Type != "COPY" {
		return &QueryError{Kind: ErrForbidden, Msg: "This query cannot be exported as Parquet."}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return s.userError(ctx, err)
	}
	defer tx.Rollback()
	// Watch the file as DuckDB writes it: a query that would fill the disk
	// is interrupted at the cap.
	cctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if st, err := os.Stat(path); err == nil && st.Size() > s.opts.MaxExportBytes {
					stop(errExportTooBig)
					return
				}
			}
		}
	}()
	if _, err := tx.ExecContext(cctx, copyQ, args...); err != nil {
		if errors.Is(context.Cause(cctx), errExportTooBig) {
			return &QueryError{Kind: ErrTooMuchMemory, Err: err, Msg: fmt.Sprintf(
				"The result is too big to download as Parquet here (over %d MB). Download less: filter with WHERE, aggregate, or choose fewer columns.", s.opts.MaxExportBytes>>20)}
		}
		return s.userError(ctx, err)
	}
	if err := tx.Rollback(); err != nil {
		return s.userError(ctx, err)
	}
	return fn(path)
}

var errExportTooBig = errors.New("export over the size cap")

// inRolledBackTx runs fn inside a transaction on the raw connection and
// always rolls it back, so side effects inside a SELECT (nextval, setseed)
// never persist. A connection whose rollback fails is discarded.
func inRolledBackTx(ctx context.Context, dc any, fn func() error) error {
	ex, ok := dc.(driver.ExecerContext)
	if !ok {
		return errors.New("driver cannot execute")
	}
	if _, err := ex.ExecContext(ctx, "BEGIN TRANSACTION", nil); err != nil {
		return err
	}
	err := fn()
	if _, rerr := ex.ExecContext(context.Background(), "ROLLBACK", nil); rerr != nil {
		return errors.Join(err, driver.ErrBadConn)
	}
	return err
}

// displayValue turns one Arrow value into a JSON-ready value, adding its
// approximate size to *bytes. Long texts are kept whole (the byte cap
// bounds them); BLOBs are summarised.
func displayValue(col arrow.Array, i int, bytes *int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Binary:
		*bytes += 16
		return fmt.Sprintf("<%d bytes>", len(a.Value(i)))
	case *array.LargeBinary:
		*bytes += 16
		return fmt.Sprintf("<%d bytes>", len(a.Value(i)))
	case *array.String:
		// Clone: the batch's buffers are freed at the next batch.
		v := strings.Clone(a.Value(i))
		*bytes += len(v) + 8
		return v
	case *array.Boolean:
		*bytes += 8
		return a.Value(i)
	case *array.Date32:
		*bytes += 16
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		*bytes += 32
		tt := a.DataType().(*arrow.TimestampType)
		t := a.Value(i).ToTime(tt.Unit)
		if tt.TimeZone == "" { // a plain TIMESTAMP: as DuckDB prints it
			return t.Format(time.DateTime)
		}
		return t.Format(time.RFC3339)
	case *array.Decimal128:
		*bytes += 24
		return json.Number(a.ValueStr(i)) // exact, and a number in JSON
	}
	v := col.GetOneForMarshal(i)
	switch x := v.(type) {
	case float64:
		*bytes += 8
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64) // JSON has no NaN
		}
		return x
	case float32:
		*bytes += 8
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
		return x
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		*bytes += 8
		return v
	}
	s := strings.Clone(col.ValueStr(i))
	*bytes += len(s) + 8
	return s
}

// userError turns a DuckDB or context error into a QueryError a person can
// act on.
func (s *Sandbox) userError(ctx context.Context, err error) error {
	var qe *QueryError
	if errors.As(err, &qe) || errors.Is(err, ErrBusy) {
		return err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &QueryError{Kind: ErrTimeout, Err: err, Msg: "The query took too long and was stopped. " +
			"Add a WHERE clause or LIMIT, or aggregate with GROUP BY, to make it smaller."}
	}
	if errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled) {
		return &QueryError{Kind: ErrTimeout, Err: err, Msg: "The query was cancelled."}
	}
	msg := err.Error()
	kind := ErrFailed
	switch {
	case strings.Contains(msg, "Permission Error") || strings.Contains(msg, "disabled by configuration") ||
		strings.Contains(msg, "configuration has been locked"):
		kind = ErrForbidden
		msg = "Reading or writing files, extensions and settings is not allowed here: query the warehouse tables instead.\n\n" + cleanMessage(msg, s.db.path, s.opts.ExportDir)
		return &QueryError{Kind: kind, Msg: msg, Err: err}
	case strings.Contains(msg, "Out of Memory") || strings.Contains(msg, "memory limit"):
		return &QueryError{Kind: ErrTooMuchMemory, Err: err,
			Msg: "The query needs more memory than this server allows. Aggregate or filter the data to make it smaller."}
	case strings.Contains(msg, "Parser Error"), strings.Contains(msg, "Binder Error"), strings.Contains(msg, "Catalog Error"),
		strings.Contains(msg, "Conversion Error"), strings.Contains(msg, "Invalid Input Error"), strings.Contains(msg, "syntax error"):
		kind = ErrInvalid
	case msg == "empty query":
		return &QueryError{Kind: ErrInvalid, Err: err, Msg: "The query is empty: write one SELECT statement."}
	case strings.Contains(msg, "INTERRUPT") || strings.Contains(msg, "Interrupted"):
		return &QueryError{Kind: ErrTimeout, Err: err, Msg: "The query was stopped before it finished."}
	}
	return &QueryError{Kind: kind, Msg: cleanMessage(msg, s.db.path, s.opts.ExportDir), Err: err}
}

// cleanMessage keeps DuckDB's own words but hides the server's paths and
// trims the error to a readable size.
func cleanMessage(msg string, paths ...string) string {
	for i, p := range paths {
		if p == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, p, "(server file)")
		if i == 0 { // the database's directory; not /tmp for the export dir
			msg = strings.ReplaceAll(msg, filepath.Dir(p), "(server directory)")
		}
	}
	if home, err := os.UserHomeDir(); err == nil && home != "/" {
		msg = strings.ReplaceAll(msg, home, "~")
	}
	msg = strings.TrimSpace(msg)
	if len(msg) > 600 {
		msg = msg[:600] + "…"
	}
	return msg
}

var typeNames = map[duckdb.Type]string{
	duckdb.TYPE_BOOLEAN: "BOOLEAN", duckdb.TYPE_TINYINT: "TINYINT", duckdb.TYPE_SMALLINT: "SMALLINT",
	duckdb.TYPE_INTEGER: "INTEGER", duckdb.TYPE_BIGINT: "BIGINT", duckdb.TYPE_UTINYINT: "UTINYINT",
	duckdb.TYPE_USMALLINT: "USMALLINT", duckdb.TYPE_UINTEGER: "UINTEGER", duckdb.TYPE_UBIGINT: "UBIGINT",
	duckdb.TYPE_FLOAT: "FLOAT", duckdb.TYPE_DOUBLE: "DOUBLE", duckdb.TYPE_TIMESTAMP: "TIMESTAMP",
	duckdb.TYPE_DATE: "DATE", duckdb.TYPE_TIME: "TIME", duckdb.TYPE_INTERVAL: "INTERVAL",
	duckdb.TYPE_HUGEINT: "HUGEINT", duckdb.TYPE_UHUGEINT: "UHUGEINT", duckdb.TYPE_VARCHAR: "VARCHAR",
	duckdb.TYPE_BLOB: "BLOB", duckdb.TYPE_DECIMAL: "DECIMAL", duckdb.TYPE_TIMESTAMP_S: "TIMESTAMP_S",
	duckdb.TYPE_TIMESTAMP_MS: "TIMESTAMP_MS", duckdb.TYPE_TIMESTAMP_NS: "TIMESTAMP_NS", duckdb.TYPE_ENUM: "ENUM",
	duckdb.TYPE_LIST: "LIST", duckdb.TYPE_STRUCT: "STRUCT", duckdb.TYPE_MAP: "MAP", duckdb.TYPE_ARRAY: "ARRAY",
	duckdb.TYPE_UUID: "UUID", duckdb.TYPE_UNION: "UNION", duckdb.TYPE_BIT: "BIT", duckdb.TYPE_TIME_TZ: "TIMETZ",
	duckdb.TYPE_TIMESTAMP_TZ: "TIMESTAMPTZ", duckdb.TYPE_SQLNULL: "NULL", duckdb.TYPE_GEOMETRY: "GEOMETRY",
}

// columnTypeName is DuckDB's name for a prepared statement's column type
// ("" if unknown); DECIMAL carries its width and scale.
func columnTypeName(s *duckdb.Stmt, i int) string {
	ti, err := s.ColumnTypeInfo(i)
	if err != nil {
		return ""
	}
	t := ti.InternalType()
	if d, ok := ti.Details().(*duckdb.DecimalDetails); ok {
		return fmt.Sprintf("DECIMAL(%d,%d)", d.Width, d.Scale)
	}
	if d, ok := ti.Details().(*duckdb.ListDetails); ok && d.Child != nil {
		if n, ok := typeNames[d.Child.InternalType()]; ok {
			return n + "[]"
		}
	}
	return typeNames[t]
}
