package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"commonground/warehouse"
)

const queryHelp = `Runs one read-only SQL statement (SELECT, WITH … SELECT, EXPLAIN) against the
warehouse, with the same sandbox as the dashboard's SQL console (docs/SQL.md):
the file is opened read-only, file access is disabled, the configuration is
locked, the statement type is checked by DuckDB, functions with side effects are
refused and the query runs in a transaction that is rolled back. Tables are
described in docs/SCHEMA.md; "SELECT * FROM datasets" lists the catalogue.

Examples:
  commonground query "SELECT count(*) FROM areas WHERE level = 'lsoa11' AND lad_code = 'E06000009'"
  commonground query --format csv "SELECT lsoa_code, imd_decile FROM imd WHERE edition = 2019" > imd.csv`

func runQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "query", "query [--db PATH] [--format table|csv|json] [--timeout 30s] SQL", queryHelp)
	db := dbFlag(fs)
	format := fs.String("format", "table", "output format: table (the first 1000 rows and the count), csv or json (all rows)")
	timeout := fs.Duration("timeout", warehouse.MaxSandboxTimeout, "cancel the query after this long (at most 30s)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageError{"give the SQL to run as one argument"}
	}
	switch *format {
	case "table", "csv", "json":
	default:
		return usageError{"--format must be table, csv or json"}
	}
	if *timeout <= 0 || *timeout > warehouse.MaxSandboxTimeout {
		return usageError{"--timeout must be more than 0 and at most 30s"}
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{ReadOnly: true, Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Lockdown(ctx, ""); err != nil {
		return err
	}
	sb := warehouse.NewSandbox(w, warehouse.SandboxOptions{Timeout: *timeout, DownloadTimeout: *timeout, MaxRows: maxTableRows,
		ReadPrivate: true})
	q := strings.Join(pos, " ")
	switch *format {
	case "csv":
		return sb.Stream(ctx, q, nil, func(rows *sql.Rows) error { return writeCSV(e.stdout, rows) })
	case "json":
		return sb.Stream(ctx, q, nil, func(rows *sql.Rows) error { return writeJSON(e.stdout, rows) })
	}
	res, err := sb.Preview(ctx, q)
	if err != nil {
		return err
	}
	return writeTable(e.stdout, res)
}

// cell renders a value for text output.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return fmt.Sprintf("<%d bytes>", len(x))
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339)
	case float64:
		return fmt.Sprint(x)
	case *big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func scanAll(rows *sql.Rows, each func(cols []string, vals []any) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := each(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func writeCSV(w io.Writer, rows *sql.Rows) error {
	cw := csv.NewWriter(w)
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	cw.Write(cols)
	rec := make([]string, len(cols))
	err = scanAll(rows, func(_ []string, vals []any) error {
		for i, v := range vals {
			rec[i] = cell(v)
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

func writeJSON(w io.Writer, rows *sql.Rows) error {
	io.WriteString(w, "[")
	n := 0
	err := scanAll(rows, func(cols []string, vals []any) error {
		obj := make(map[string]any, len(cols))
		for i, c := range cols {
			switch x := vals[i].(type) {
			case []byte:
				obj[c] = x // base64, as encoding/json does
			case time.Time, *big.Int:
				obj[c] = cell(x)
			default:
				obj[c] = x
			}
		}
		b, err := json.Marshal(orderedRow{cols, obj})
		if err != nil {
			return err
		}
		if n > 0 {
			io.WriteString(w, ",")
		}
		n++
		_, err = fmt.Fprintf(w, "\n%s", b)
		return err
	})
	io.WriteString(w, "\n]\n")
	return err
}

// orderedRow marshals a row with its columns in query order.
type orderedRow struct {
	cols []string
	vals map[string]any
}

func (r orderedRow) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range r.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		v, err := json.Marshal(r.vals[c])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

const maxTableRows = 1000

// writeTable prints a previewed result as aligned columns.
func writeTable(w io.Writer, res *warehouse.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		names[i] = c.Name
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	parts := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			s := strings.NewReplacer("\t", " ", "\n", " ").Replace(previewCell(v))
			if utf8.RuneCountInString(s) > 60 {
				s = string([]rune(s)[:59]) + "…"
			}
			parts[i] = s
		}
		fmt.Fprintln(tw, strings.Join(parts, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintf(w, "(%d rows; showing the first %d — use --format csv for all)\n", res.Total, len(res.Rows))
	} else {
		fmt.Fprintf(w, "(%d row%s)\n", res.Total, plural(int(res.Total)))
	}
	return nil
}

// previewCell renders a previewed (JSON-ready) value.
func previewCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case string:
		return x
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
