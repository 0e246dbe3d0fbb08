package format

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// aliasesOf returns a column's header aliases, or its Name when it has none.
func aliasesOf(c Column) []string {
	if len(c.Aliases) > 0 {
		return c.Aliases
	}
	return []string{c.Name}
}

// columnLabel is how messages name a column: its first alias, else Name.
func columnLabel(c Column) string {
	if len(c.Aliases) > 0 && c.Aliases[0] != "" {
		return c.Aliases[0]
	}
	return c.Name
}

// normalizeCells applies NormalizeHeader to every cell.
func normalizeCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = NormalizeHeader(c)
	}
	return out
}

// findColumn returns the index of the first normalized header cell equal to
// one of the column's aliases (aliases tried in order), or -1.
func findColumn(c Column, norm []string) int {
	for _, a := range aliasesOf(c) {
		na := NormalizeHeader(a)
		if na == "" {
			continue
		}
		for i, h := range norm {
			if h == na {
				return i
			}
		}
	}
	return -1
}

// headerMatch checks a header line against a spec: matched counts the spec's
// columns found in the line, missing lists the Required columns that are not.
func headerMatch(spec FileSpec, norm []string) (matched int, missing []Column) {
	for _, c := range spec.Columns {
		if c.Index > 0 {
			continue
		}
		if findColumn(c, norm) >= 0 {
			matched++
		} else if c.Required {
			missing = append(missing, c)
		}
	}
	return matched, missing
}

// headerSearch is how many non-blank lines a spec lets the reader look at for
// its header.
func headerSearch(spec FileSpec) int {
	if spec.HeaderSearch > 1 {
		return spec.HeaderSearch
	}
	return 1
}

// maxIndex is the highest 1-based Index among a spec's columns.
func maxIndex(spec FileSpec) int {
	m := 0
	for _, c := range spec.Columns {
		if c.Index > m {
			m = c.Index
		}
	}
	return m
}

// allEmpty reports whether every field is empty after trimming white space.
func allEmpty(rec []string) bool {
	for _, f := range rec {
		if trimValue(f) != "" {
			return false
		}
	}
	return true
}

func newCSV(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

// readLines returns up to n non-blank records (rows whose fields are all
// empty count as blank) from decoded CSV text.
func readLines(r io.Reader, n int) ([][]string, error) {
	cr := newCSV(Decode(r))
	var out [][]string
	for len(out) < n {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue
			}
			return out, err
		}
		if allEmpty(rec) {
			continue
		}
		out = append(out, append([]string(nil), rec...))
	}
	return out, nil
}

// ReadHeader returns the fields of the first non-blank line of r (decoded
// with Decode and parsed as CSV), for identifying a file. It returns nil and
// no error for an input with no non-blank line.
func ReadHeader(r io.Reader) ([]string, error) {
	lines, err := readLines(r, 1)
	if len(lines) == 0 {
		return nil, err
	}
	return lines[0], nil
}

// Identify picks the spec that describes the CSV in r. A spec with a header
// matches when one of its first HeaderSearch non-blank lines contains every
// Required column (by NormalizeHeader of an alias and of the header cell);
// among matches the one with most matched columns wins, then the first in
// specs. A headerless spec matches when the first line has at least as many
// fields as its highest Index and contains no header text of its Required
// columns; it wins only when no spec with a header matches. Identify reads
// from r; the caller opens the file again to read it. On failure the error
// lists the header found and, for each kind, the required columns missing.
func Identify(r io.Reader, file string, specs []FileSpec) (FileSpec, error) {
	n := 1
	for _, s := range specs {
		if h := headerSearch(s); h > n && !s.Headerless {
			n = h
		}
	}
	lines, err := readLines(r, n)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return FileSpec{}, err
		}
		return FileSpec{}, &ParseError{File: file, Err: err}
	}
	if len(lines) == 0 {
		return FileSpec{}, &ParseError{File: file, Err: errors.New("no file kind matches: the file has no non-blank line")}
	}
	best, bestScore := -1, -1
	headerlessMatch := -1
	reasons := make([]string, 0, len(specs))
	for i, s := range specs {
		if s.Headerless {
			first := lines[0]
			need := maxIndex(s)
			norm := normalizeCells(first)
			var found []string
			for _, c := range s.Columns {
				// Only explicit aliases count: a bare Name may well occur as data.
				if c.Required && len(c.Aliases) > 0 && findColumn(c, norm) >= 0 {
					found = append(found, strconv.Quote(columnLabel(c)))
				}
			}
			switch {
			case len(first) < need:
				reasons = append(reasons, fmt.Sprintf("kind %q (headerless) needs at least %d fields, found %d", s.Kind, need, len(first)))
			case len(found) > 0:
				reasons = append(reasons, fmt.Sprintf("kind %q (headerless) found header text %s", s.Kind, strings.Join(found, ", ")))
			default:
				if headerlessMatch < 0 {
					headerlessMatch = i
				}
			}
			continue
		}
		var bestMissing []Column
		matchedHere := false
		for li, line := range lines {
			if li >= headerSearch(s) {
				break
			}
			matched, missing := headerMatch(s, normalizeCells(line))
			if len(missing) == 0 && matched > 0 {
				matchedHere = true
				if matched > bestScore {
					best, bestScore = i, matched
				}
				break
			}
			if li == 0 || len(missing) < len(bestMissing) {
				bestMissing = missing
			}
		}
		if !matchedHere {
			reasons = append(reasons, fmt.Sprintf("kind %q needs %s", s.Kind, quoteColumns(bestMissing)))
		}
	}
	if best >= 0 {
		return specs[best], nil
	}
	if headerlessMatch >= 0 {
		return specs[headerlessMatch], nil
	}
	return FileSpec{}, &ParseError{File: file, Err: fmt.Errorf("no file kind matches header %s: %s",
		formatHeader(lines[0]), strings.Join(reasons, "; "))}
}

// quoteColumns renders columns as "A", "B" by their labels.
func quoteColumns(cols []Column) string {
	if len(cols) == 0 {
		return "at least one known column"
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = strconv.Quote(columnLabel(c))
	}
	return strings.Join(parts, ", ")
}

// formatHeader renders header cells as [a b c], truncated for long lines.
func formatHeader(cells []string) string {
	const maxCells = 40
	s := cells
	more := ""
	if len(s) > maxCells {
		s = s[:maxCells]
		more = fmt.Sprintf(" ...(%d more)", len(cells)-maxCells)
	}
	return "[" + strings.Join(s, " ") + more + "]"
}
