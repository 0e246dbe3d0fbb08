// Package ingest loads catalogue datasets into the warehouse: it resolves
// sources (official URLs or local files), recognises each file's layout by
// its header, streams it through Arrow into staging, checks it, and swaps it
// in atomically with provenance.
package ingest

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"commonground/ingest/format"
	"commonground/warehouse"
)

// Dataset is one catalogue entry, declared once as data.
type Dataset struct {
	ID          string
	Title       string
	Publisher   string
	Licence     string
	Attribution string
	Description string
	// Landing is the publisher's page for the dataset.
	Landing string
	// URLs are the files fetched when no files are given: the publisher's
	// own download where it is a stable file, otherwise the exact upstream
	// copy (repository and commit) that Commonground is tested against.
	URLs []string
	// LocalOnly marks a dataset with no official source (the user's own
	// suppliers lookup): it loads only files the user names, and --all
	// skips it.
	LocalOnly bool
	// Format describes the official files ("CSV", "GeoJSON (per local authority, gzip)").
	Format    string
	Geography string
	Vintage   string
	// Table is the warehouse table the dataset loads into.
	Table string
	// Files are the layouts the dataset accepts; each file is recognised by
	// its header (or GeoJSON property names).
	Files []format.FileSpec
	// Repeat lets several files of one kind be given (per-authority files).
	Repeat bool
	// Accumulate says a run replaces only its own files' rows, so earlier
	// runs' rejects are kept for the files it did not touch (spending).
	Accumulate bool
	// TopoObject names the TopoJSON object to read ("" = the first).
	TopoObject string
	// Replace is the SQL predicate for the rows this dataset owns in Table
	// ("" = the whole table). Insert selects the new rows from the staging
	// tables stg_<kind>. Derive runs after, in the same transaction.
	Replace string
	Insert  string
	Derive  []string
	Checks  Checks
	// Params are values given per run on the command line (ingest spending
	// --council E08000009). Replace, Insert and Derive refer to them as
	// {{name}}, substituted as a quoted literal (NULL when empty), and to the
	// run's file names as {{files}} (a parenthesised list of literals).
	Params []Param
	// Enrich, when set, runs after the files are staged and before the
	// checks: Go code that reads staged rows and stages derived ones, such as
	// locating services by coordinates, postcode and point in polygon.
	Enrich func(ctx context.Context, st *Staging) error
	// After, when set, runs once the load is committed: Go steps over the
	// whole warehouse that SQL cannot do, such as giving LSOAs by best fit to
	// wards no lookup covers. It returns notes for the summary; its failure
	// is a warning, since the load itself stands.
	After func(ctx context.Context, db *warehouse.DB) (string, error)
}

// Param is a per-run value of a dataset.
type Param struct {
	Name     string
	Help     string
	Pattern  *regexp.Regexp
	Required bool
}

// Checks are what a loaded dataset must satisfy.
type Checks struct {
	// MinRows and MaxRows bound the rows loaded from the official source.
	// Outside them a load from the official URLs fails; a load of files the
	// user named (a subset, a council's own extract) only warns.
	MinRows, MaxRows int64
	// Unique lists key columns of the inserted rows that must not repeat.
	Unique []string
	// MaxRejectRate fails the run when more than this share of data lines
	// is rejected (0 means 0.5: a file that is mostly rejects is the wrong file).
	MaxRejectRate float64
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Validate checks a dataset declaration for mistakes a test should catch.
func (d Dataset) Validate() error {
	if !idPattern.MatchString(d.ID) {
		return fmt.Errorf("dataset %q: id must be lower-case letters, digits and dashes", d.ID)
	}
	var missing []string
	for name, v := range map[string]string{"title": d.Title, "publisher": d.Publisher, "licence": d.Licence,
		"attribution": d.Attribution, "table": d.Table, "insert": d.Insert, "geography": d.Geography, "vintage": d.Vintage} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("dataset %s: missing %s", d.ID, strings.Join(missing, ", "))
	}
	if len(d.URLs) == 0 && !d.LocalOnly {
		return fmt.Errorf("dataset %s: no official URL", d.ID)
	}
	if len(d.Files) == 0 {
		return fmt.Errorf("dataset %s: no file layouts", d.ID)
	}
	kinds := map[string]bool{}
	for _, f := range d.Files {
		if f.Kind == "" || kinds[f.Kind] {
			return fmt.Errorf("dataset %s: file kind %q empty or repeated", d.ID, f.Kind)
		}
		kinds[f.Kind] = true
		required := 0
		for _, c := range f.Columns {
			if c.Required {
				required++
			}
			if f.Headerless && c.Index == 0 {
				return fmt.Errorf("dataset %s kind %s: headerless column %s has no index", d.ID, f.Kind, c.Name)
			}
			if !f.Headerless && len(c.Aliases) == 0 {
				return fmt.Errorf("dataset %s kind %s: column %s has no header aliases", d.ID, f.Kind, c.Name)
			}
		}
		if required == 0 && !f.Headerless {
			return fmt.Errorf("dataset %s kind %s: no required column to recognise it by", d.ID, f.Kind)
		}
	}
	return nil
}
