// Package warehouse owns the DuckDB file: opening it, migrating its schema,
// loading Arrow streams into it atomically with provenance, and running
// read-only queries. It is the only package that talks to DuckDB.
//
// The database file is ATTACHed as "store" to an in-memory DuckDB instance.
// Arrow views registered for a load live in the in-memory catalog, so they
// are never written into the file (a persistent Arrow view holds a raw
// pointer and crashes the next process that reads it; see docs/ARCHITECTURE.md).
package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// DefaultPath is the database file used when neither --db nor
// COMMONGROUND_DB says otherwise.
const DefaultPath = "commonground.duckdb"

// Options configure Open.
type Options struct {
	// ReadOnly attaches the file read-only and forbids external file access
	// for every connection: the mode for the query command and the console.
	ReadOnly bool
	// Threads and MemoryLimit ("2GB") are database-wide; zero values keep
	// DuckDB's defaults.
	Threads     int
	MemoryLimit string
	// AllocatorFlush ("16MB") is how much freed memory DuckDB's allocator
	// may keep before handing it back to the system (DuckDB's default is
	// 128 MiB, which a long-running server carries as RSS); it also turns
	// on the allocator's background threads, which do the handing back.
	AllocatorFlush string
	// MaxOpenConns bounds the pool of query connections (0 means 4: the
	// machine has 2 cores and more only adds latency).
	MaxOpenConns int
	Logger       *slog.Logger
}

// DB is an open warehouse. It is safe for concurrent use; loads serialise
// on their own connection.
type DB struct {
	path      string
	opts      Options
	connector *duckdb.Connector
	sql       *sql.DB
	log       *slog.Logger
}

// Open opens (creating if needed) the warehouse file at path and, unless
// read-only, applies pending migrations and marks runs left "running" by a
// killed process as interrupted.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		path = DefaultPath
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open warehouse %s: %w", path, err)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("open warehouse %s: %w (load data first with `commonground ingest` or `commonground demo`)", path, err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	dsn := ""
	// Extensions settings go in the DSN, not SET, so that connections opened
	// after the console locks the configuration still initialise.
	params := []string{"autoinstall_known_extensions=false", "autoload_known_extensions=false"}
	if opts.Threads > 0 {
		params = append(params, fmt.Sprintf("threads=%d", opts.Threads))
	}
	if opts.MemoryLimit != "" {
		params = append(params, "memory_limit="+opts.MemoryLimit)
	}
	if opts.AllocatorFlush != "" {
		params = append(params, "allocator_flush_threshold="+opts.AllocatorFlush, "allocator_background_threads=true")
	}
	dsn = "?" + strings.Join(params, "&")
	attach := "ATTACH IF NOT EXISTS " + QuoteString(abs) + " AS store"
	if opts.ReadOnly {
		attach += " (READ_ONLY)"
	}
	connector, err := duckdb.NewConnector(dsn, func(ex driver.ExecerContext) error {
		stmts := []string{
			attach,
			"USE store",
		}
		for _, s := range stmts {
			if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open warehouse %s: %w", path, explainLock(err))
	}
	db := &DB{path: abs, opts: opts, connector: connector, sql: sql.OpenDB(connector), log: opts.Logger}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = 4
	}
	db.sql.SetMaxOpenConns(n)
	if err := db.sql.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open warehouse %s: %w", path, explainLock(err))
	}
	if opts.ReadOnly {
		if err := db.checkSchema(ctx); err != nil {
			db.Close()
			return nil, err
		}
		// Once the file is attached, user SQL must not reach the file system.
		if _, err := db.sql.ExecContext(ctx, "SET enable_external_access = false"); err != nil {
			db.Close()
			return nil, fmt.Errorf("open warehouse %s: %w", path, err)
		}
		return db, nil
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.sql.ExecContext(ctx, `UPDATE ingest_runs SET status = 'interrupted',
		error = 'the process stopped before the run finished; the previous data was kept', finished_at = NULL
		WHERE status = 'running'`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open warehouse %s: mark interrupted runs: %w", path, err)
	}
	return db, nil
}

// explainLock turns DuckDB's lock conflict into advice.
func explainLock(err error) error {
	if err != nil && strings.Contains(err.Error(), "Could not set lock") {
		return fmt.Errorf("%w\n(another commonground process has the database open; stop it or use a different --db)", err)
	}
	return err
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// ReadOnly reports whether the database was opened read-only.
func (db *DB) ReadOnly() bool { return db.opts.ReadOnly }

// SQL returns the pooled handle for queries. Callers must not change
// connection state (USE, SET) through it.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close checkpoints and closes the database.
func (db *DB) Close() error {
	var errs []error
	if !db.opts.ReadOnly {
		if _, err := db.sql.Exec("CHECKPOINT store"); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, db.sql.Close(), db.connector.Close())
	return errors.Join(errs...)
}

// QuoteIdent quotes an SQL identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteString quotes an SQL string literal.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
