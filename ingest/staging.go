package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"commonground/ingest/format"
	"commonground/warehouse"
)

// Staging is what a dataset's Enrich step may do during a run: read staged
// rows and the store, stage derived rows, reject rows and warn. It is not
// safe for concurrent use.
type Staging struct {
	load     *warehouse.Load
	log      *slog.Logger
	rejects  []format.Reject
	warnings []string
	notes    []string
	located  *[2]int64
	// Dataset is the catalogue id; Params the run's parameters; Files the
	// base names of the files read.
	Dataset string
	Params  map[string]string
	Files   []string
}

// Logger returns the run's logger.
func (s *Staging) Logger() *slog.Logger { return s.log }

// Query streams a read query over the staging tables (stg_<kind>) and the
// store as Arrow. Release the reader before the next call.
func (s *Staging) Query(ctx context.Context, q string) (array.RecordReader, error) {
	return s.load.QueryArrow(ctx, q)
}

// QueryRow runs a query and scans one row into *int64, *string or *any.
func (s *Staging) QueryRow(ctx context.Context, q string, dest ...any) error {
	return s.load.QueryRow(ctx, q, dest...)
}

// Create makes (or empties) the staging table stg_<kind> with schema.
func (s *Staging) Create(ctx context.Context, kind string, schema *arrow.Schema) error {
	return s.load.CreateStaging(ctx, kind, schema)
}

// Stage appends a stream to stg_<kind>.
func (s *Staging) Stage(ctx context.Context, kind string, rdr array.RecordReader) (int64, error) {
	return s.load.Stage(ctx, kind, rdr)
}

// Reject records a row that cannot be loaded (or located).
func (s *Staging) Reject(r format.Reject) { s.rejects = append(s.rejects, r) }

// Warn records a warning on the run.
func (s *Staging) Warn(format string, args ...any) {
	s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
}

// Note records something worth knowing about the run that is not a problem
// (how rows were located, say).
func (s *Staging) Note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// SetLocated records how many rows were placed on the map and how many not.
func (s *Staging) SetLocated(located, unlocated int64) { s.located = &[2]int64{located, unlocated} }

func toWarehouseRejects(rs []format.Reject) []warehouse.Reject {
	out := make([]warehouse.Reject, len(rs))
	for i, r := range rs {
		out[i] = warehouse.Reject{File: r.File, Line: int64(r.Line), Column: r.Column, Value: r.Value, Reason: r.Reason}
	}
	return out
}

var placeholder = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// substitute fills {{name}} with the quoted parameter (NULL when empty) and
// {{files}} with the list of file names.
func substitute(sql string, params map[string]string, files []string) string {
	return placeholder.ReplaceAllStringFunc(sql, func(m string) string {
		name := m[2 : len(m)-2]
		if name == "files" {
			q := make([]string, len(files))
			for i, f := range files {
				q[i] = warehouse.QuoteString(f)
			}
			if len(q) == 0 {
				return "(NULL)"
			}
			return "(" + strings.Join(q, ", ") + ")"
		}
		if v := params[name]; v != "" {
			return warehouse.QuoteString(v)
		}
		return "NULL"
	})
}

func checkParams(ds Dataset, params map[string]string) error {
	known := map[string]Param{}
	for _, p := range ds.Params {
		known[p.Name] = p
		v := params[p.Name]
		if v == "" && p.Required {
			return fmt.Errorf("--%s is required: %s", p.Name, p.Help)
		}
		if v != "" && p.Pattern != nil && !p.Pattern.MatchString(v) {
			return fmt.Errorf("--%s %q: %s", p.Name, v, p.Help)
		}
	}
	var unknown []string
	for k, v := range params {
		if _, ok := known[k]; !ok && v != "" {
			unknown = append(unknown, "--"+k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s not used by %s", strings.Join(unknown, ", "), ds.ID)
	}
	return nil
}
