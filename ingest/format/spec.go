// Package format turns source bytes (CSV, GeoJSON, TopoJSON, in gzip or zip
// containers, in whatever text encoding councils publish) into Arrow record
// batches with typed columns. Values that cannot be converted are never
// guessed: the row is rejected and recorded with its line, column and reason.
package format

import (
	"fmt"
	"regexp"
)

// Type is the warehouse type a column is converted to.
type Type int

// Column types. Decimal is DECIMAL(18, Scale); Date is an Arrow date32.
const (
	Text Type = iota
	Int
	Float
	Decimal
	Date
	Bool
)

func (t Type) String() string {
	switch t {
	case Text:
		return "VARCHAR"
	case Int:
		return "BIGINT"
	case Float:
		return "DOUBLE"
	case Decimal:
		return "DECIMAL"
	case Date:
		return "DATE"
	case Bool:
		return "BOOLEAN"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Column maps one source column (found by header alias, by position in a
// headerless file, or by property name in GeoJSON) to one typed output column.
type Column struct {
	// Name is the snake_case output column name.
	Name string
	Type Type
	// Scale is the number of decimal places for Decimal (precision is 18).
	Scale int32
	// Aliases are the header names (or GeoJSON property names) accepted for
	// this column. Matching ignores case, spaces, punctuation and a BOM, so
	// "Net amount", "NetAmount" and "net_amount" are one alias.
	Aliases []string
	// Index is the 1-based position in a headerless file; 0 means by header.
	Index int
	// Required means the file is not of this kind unless the column is present.
	Required bool
	// NotNull rejects a row whose value is empty or a null token.
	NotNull bool
	// Pattern, when set, rejects a row whose non-empty value does not match.
	Pattern *regexp.Regexp
	// DateLayouts are Go time layouts tried in order for Date columns. Empty
	// means the default set (ISO, dd/mm/yyyy, dd-Mon-yyyy, dd-Mon-yy, yyyymmdd,
	// dd-mm-yyyy, and ISO datetimes).
	DateLayouts []string
}

// FileSpec describes one kind of file within a dataset (IoD2019 File 1 and
// File 2 are two kinds of one dataset). It is plain data.
type FileSpec struct {
	// Kind names the file kind; it also names the staging table.
	Kind string
	// Headerless files have no header row; every column has an Index.
	Headerless bool
	// Columns are the output columns in order.
	Columns []Column
	// NullTokens are cell values read as NULL in addition to the empty string
	// (for example "NA", "n/a", ".."). Matching is exact after trimming spaces.
	NullTokens []string
	// HeaderSearch is how many leading lines may be skipped while looking for
	// the header (council files often start with a title block). 0 means 1.
	HeaderSearch int
	// FileColumn, when set, adds a VARCHAR column of this name holding the
	// source file's base name (without container suffixes).
	FileColumn string
	// LineColumn, when set, adds a BIGINT column of this name holding the
	// physical line number the record starts on (1-based, header included).
	LineColumn string
	// RawColumn, when set, adds a VARCHAR column holding the record's fields
	// re-encoded as a CSV line, for audit.
	RawColumn string
	// Geometry marks a GeoJSON/TopoJSON kind: the reader adds the columns
	// geometry (BLOB, WKB), minx, miny, maxx, maxy, centroid_lon and
	// centroid_lat (all DOUBLE) after Columns.
	Geometry bool
	// Giving360 marks a kind that also comes as a 360Giving JSON data
	// package ({"grants": [...]}): a file of the dataset that starts with
	// '{' is read by New360GivingReader, which fills Columns by Name from
	// its fixed JSON path table; Aliases still recognise the CSV form.
	Giving360 bool
}

// Reject is one row that could not be loaded, and why.
type Reject struct {
	File   string // base name of the source file
	Line   int    // 1-based physical line (GeoJSON: 1-based feature index)
	Column string // source header (or output column) at fault; "" for the row
	Value  string // the offending value, truncated to 200 bytes
	Reason string
}

func (r Reject) String() string {
	if r.Column == "" {
		return fmt.Sprintf("%s line %d: %s", r.File, r.Line, r.Reason)
	}
	return fmt.Sprintf("%s line %d column %q: %s (value %q)", r.File, r.Line, r.Column, r.Reason, r.Value)
}

// Stats counts what a reader saw. DataLines = Rows + Rejected; blank lines
// and the header are not data lines.
type Stats struct {
	DataLines int
	Rows      int
	Rejected  int
	Blank     int
	// Encoding is what the text decoder found: "utf-8", "utf-8 (BOM)",
	// "utf-8 (double-encoded BOM)", "windows-1252", "utf-8 + windows-1252",
	// and "+ c1-repaired" when C1 mojibake was mapped back.
	Encoding string
}

// ParseError is a whole-file failure (no recognisable header, truncated
// container, unreadable bytes). It names the file and, where known, the line.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }
