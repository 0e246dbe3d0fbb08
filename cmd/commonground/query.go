package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"commonground/warehouse"
)

const queryHelp = `Runs one read-only SQL statement (SELECT, WITH … SELECT, EXPLAIN) against the
warehouse, opened read-only with file access disabled. Tables are described in
docs/SCHEMA.md; "SELECT * FROM datasets" lists the catalogue.

Examples:
  commonground query "SELECT count(*) FROM areas WHERE level = 'lsoa11' AND lad_code = 'E06000009'"
  commonground query --format csv "SELECT lsoa_code, imd_decile FROM imd WHERE edition = 2019" > imd.csv`

func runQuery(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "query", "query [--db PATH] [--format table|csv|json] SQL", queryHelp)
	db := dbFlag(fs)
	format := fs.String("format", "table", "output format: table, csv or json")
	timeout := fs.Duration("timeout", 30*time.Second, "cancel the query after this long")
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
	w, err := warehouse.Open(ctx, *db, warehouse.Options{ReadOnly: true, Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rows, err := w.Query(ctx, strings.Join(pos, " "))
	if err != nil {
		return err
	}
	defer rows.Close()
	switch *format {
	case "csv":
		return writeCSV(e.stdout, rows)
	case "json":
		return writeJSON(e.stdout, rows)
	}
	return writeTable(e.stdout, rows)
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

func writeTable(w io.Writer, rows *sql.Rows) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	n := 0
	header := false
	err := scanAll(rows, func(cols []string, vals []any) error {
		if !header {
			fmt.Fprintln(tw, strings.Join(cols, "\t"))
			header = true
		}
		n++
		if n > maxTableRows {
			return nil
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			s := strings.NewReplacer("\t", " ", "\n", " ").Replace(cell(v))
			if utf8.RuneCountInString(s) > 60 {
				s = string([]rune(s)[:59]) + "…"
			}
			parts[i] = s
		}
		fmt.Fprintln(tw, strings.Join(parts, "\t"))
		return nil
	})
	if !header {
		cols, _ := rows.Columns()
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()
	if err != nil {
		return err
	}
	if n > maxTableRows {
		fmt.Fprintf(w, "(%d rows; showing the first %d — use --format csv for all)\n", n, maxTableRows)
	} else {
		fmt.Fprintf(w, "(%d row%s)\n", n, plural(n))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
