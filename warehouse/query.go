package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ErrNotReadOnly is returned by Query and Check for any statement that is
// not a single SELECT (or EXPLAIN of one).
var ErrNotReadOnly = errors.New("only a single read-only statement (SELECT, WITH … SELECT, EXPLAIN) is allowed")

// StatementInfo is what DuckDB says about a prepared statement.
type StatementInfo struct {
	Type    string
	Params  []string
	Columns []string
	// ColumnTypes are DuckDB's type names for Columns (VARCHAR, DECIMAL(14,2), …).
	ColumnTypes []string
}

var stmtTypeNames = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_SELECT: "SELECT", duckdb.STATEMENT_TYPE_INSERT: "INSERT", duckdb.STATEMENT_TYPE_UPDATE: "UPDATE",
	duckdb.STATEMENT_TYPE_EXPLAIN: "EXPLAIN", duckdb.STATEMENT_TYPE_DELETE: "DELETE", duckdb.STATEMENT_TYPE_PREPARE: "PREPARE",
	duckdb.STATEMENT_TYPE_CREATE: "CREATE", duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE", duckdb.STATEMENT_TYPE_ALTER: "ALTER",
	duckdb.STATEMENT_TYPE_TRANSACTION: "TRANSACTION", duckdb.STATEMENT_TYPE_COPY: "COPY", duckdb.STATEMENT_TYPE_ANALYZE: "ANALYZE",
	duckdb.STATEMENT_TYPE_VARIABLE_SET: "SET VARIABLE", duckdb.STATEMENT_TYPE_CREATE_FUNC: "CREATE FUNCTION",
	duckdb.STATEMENT_TYPE_DROP: "DROP", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT", duckdb.STATEMENT_TYPE_PRAGMA: "PRAGMA",
	duckdb.STATEMENT_TYPE_VACUUM: "VACUUM", duckdb.STATEMENT_TYPE_CALL: "CALL", duckdb.STATEMENT_TYPE_SET: "SET",
	duckdb.STATEMENT_TYPE_LOAD: "LOAD", duckdb.STATEMENT_TYPE_EXTENSION: "INSTALL", duckdb.STATEMENT_TYPE_ATTACH: "ATTACH",
	duckdb.STATEMENT_TYPE_DETACH: "DETACH", duckdb.STATEMENT_TYPE_MULTI: "MULTIPLE STATEMENTS",
}

// Describe prepares q on conn without running it and reports its type,
// named parameters and result columns.
func describe(ctx context.Context, conn *sql.Conn, q string) (StatementInfo, error) {
	var info StatementInfo
	err := conn.Raw(func(dc any) error {
		// Prepare, not PrepareContext: duckdb-go's PrepareContext executes
		// every statement of a batch but the last, while Prepare refuses a
		// batch outright.
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return errors.New("driver cannot prepare")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := dconn.Prepare(q)
		if err != nil {
			if strings.Contains(err.Error(), "missing context") || strings.Contains(err.Error(), "PrepareContext") {
				return fmt.Errorf("%w: the query holds more than one statement", ErrNotReadOnly)
			}
			return err
		}
		defer st.Close()
		s, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("unexpected statement type %T", st)
		}
		t, err := s.StatementType()
		if err != nil {
			return err
		}
		info.Type = stmtTypeNames[t]
		if info.Type == "" {
			info.Type = fmt.Sprintf("statement type %d", t)
		}
		for i := 1; i <= s.NumInput(); i++ {
			name, err := s.ParamName(i)
			if err != nil {
				return err
			}
			info.Params = append(info.Params, name)
		}
		if t == duckdb.STATEMENT_TYPE_SELECT {
			n, err := s.ColumnCount()
			if err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				name, err := s.ColumnName(i)
				if err != nil {
					return err
				}
				info.Columns = append(info.Columns, name)
				info.ColumnTypes = append(info.ColumnTypes, columnTypeName(s, i))
			}
		}
		return nil
	})
	return info, err
}

// Describe prepares q and reports its statement type, parameters and
// columns, without running it.
func (db *DB) Describe(ctx context.Context, q string) (StatementInfo, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return StatementInfo{}, err
	}
	defer conn.Close()
	return describe(ctx, conn, q)
}

// Query runs a single read-only statement. Anything else fails with
// ErrNotReadOnly before it runs. Checked by DuckDB's own statement type,
// not by parsing the text.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, errors.New("empty query")
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	info, err := describe(ctx, conn, q)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if info.Type != "SELECT" && info.Type != "EXPLAIN" {
		conn.Close()
		return nil, fmt.Errorf("%w (this is %s)", ErrNotReadOnly, info.Type)
	}
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		conn.Close()
		return nil, err
	}
	// Conn.Close waits for the rows to be closed, then returns the
	// connection to the pool.
	go conn.Close()
	return rows, nil
}
