package format

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// CSVReader reads a CSV file as Arrow record batches with the schema
// Schema(spec). It implements array.RecordReader.
//
// The input goes through Decode, so any BOM, Windows-1252 bytes and C1
// mojibake are repaired. The header is the first of the first HeaderSearch
// non-blank lines that holds every Required column; lines before it are
// skipped. Columns are found by NormalizeHeader of their aliases (aliases in
// order, first matching header cell), or by Index in a headerless file.
//
// Blank lines and rows whose fields are all empty are skipped and counted in
// Stats.Blank. Every other line after the header is a data line, loaded as a
// row or rejected with its line, column and reason: a value that does not
// convert, a missing required value, a value that does not match its pattern,
// a row with too few fields for the mapped columns, or a row with non-empty
// fields beyond the header's width. Line numbers are physical lines (1-based,
// the header included); a record with quoted newlines has the number of the
// line it starts on.
//
// A failure that stops the file (unreadable or damaged input) makes Next
// return false with Err set to a *ParseError. A CSVReader is not safe for
// concurrent use.
type CSVReader struct {
	file   string
	spec   FileSpec
	opts   options
	dec    *Decoder
	count  *lineCounter
	cr     *csv.Reader
	rb     *rowBuilder
	schema *arrow.Schema

	idx      []int // header index per spec column, -1 when absent
	maxIdx   int   // highest mapped index, -1 when none
	width    int   // header width (headerless: the first row's)
	widthMsg string
	vals     []string
	raw      []byte

	pending    []string // headerless: the first record, not yet loaded
	pendStart  int
	pendEnd    int
	hasPending bool

	prevEnd int // last physical line of the previous record
	stats   Stats
	rejects []Reject
	cur     arrow.RecordBatch
	err     error
	done    bool
	refs    atomic.Int64
}

// lineCounter counts the newlines of the decoded text that passes through.
type lineCounter struct {
	r     io.Reader
	nl    int
	n     int64
	lastB byte
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.nl += bytes.Count(p[:n], []byte{'\n'})
		c.n += int64(n)
		c.lastB = p[n-1]
	}
	return n, err
}

// lines is the number of physical lines read so far.
func (c *lineCounter) lines() int {
	if c.n > 0 && c.lastB != '\n' {
		return c.nl + 1
	}
	return c.nl
}

// NewCSVReader reads up to the header (or, for a headerless spec, the first
// row) and returns a reader positioned at the first data line. It returns a
// *ParseError when no line within spec.HeaderSearch holds every Required
// column, naming the header found and the columns missing.
func NewCSVReader(r io.Reader, file string, spec FileSpec, opts ...Option) (rd *CSVReader, err error) {
	o := newOptions(opts)
	dec := Decode(r)
	cnt := &lineCounter{r: dec}
	rd = &CSVReader{
		file:   file,
		spec:   spec,
		opts:   o,
		dec:    dec,
		count:  cnt,
		cr:     newCSV(cnt),
		schema: Schema(spec),
		idx:    make([]int, len(spec.Columns)),
		vals:   make([]string, len(spec.Columns)),
		maxIdx: -1,
	}
	rd.refs.Store(1)
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, &ParseError{File: file, Err: fmt.Errorf("internal error reading header: %v", p)}
		}
	}()
	if spec.Headerless {
		err = rd.startHeaderless()
	} else {
		err = rd.findHeader()
	}
	if err != nil {
		return nil, err
	}
	rd.rb = newRowBuilder(o.mem, spec)
	return rd, nil
}

// read returns the next record with the physical lines it spans, counting
// blank lines skipped before it. A csv.ParseError is returned as is.
func (r *CSVReader) read() (rec []string, start, end int, err error) {
	rec, err = r.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.gap(pe.StartLine)
			r.prevEnd = max(r.prevEnd, pe.Line)
		}
		return nil, 0, 0, err
	}
	start, _ = r.cr.FieldPos(0)
	last, _ := r.cr.FieldPos(len(rec) - 1)
	end = last + strings.Count(rec[len(rec)-1], "\n")
	// A quote left open at the end of the input swallows the final line
	// break into the field; the counter knows the true number of lines.
	end = max(start, min(end, r.count.lines()))
	r.gap(start)
	r.prevEnd = max(r.prevEnd, end)
	return rec, start, end, nil
}

// gap counts the blank lines between the previous record and one starting
// at line start.
func (r *CSVReader) gap(start int) {
	if g := start - r.prevEnd - 1; g > 0 {
		r.stats.Blank += g
	}
}

// atEOF counts blank lines after the last record.
func (r *CSVReader) atEOF() {
	if g := r.count.lines() - r.prevEnd; g > 0 {
		r.stats.Blank += g
	}
	r.prevEnd = max(r.prevEnd, r.count.lines())
}

// fatal wraps an error that stops the file as a *ParseError.
func (r *CSVReader) fatal(err error, line int) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	return &ParseError{File: r.file, Line: line, Err: err}
}

func (r *CSVReader) findHeader() error {
	search := headerSearch(r.spec)
	var first []string
	var bestMissing []Column
	seen := 0
	for seen < search {
		rec, start, end, err := r.read()
		if err == io.EOF {
			r.atEOF()
			break
		}
		if err != nil {
			var cpe *csv.ParseError
			if errors.As(err, &cpe) {
				seen++
				continue
			}
			return r.fatal(err, r.prevEnd+1)
		}
		if allEmpty(rec) {
			r.stats.Blank += end - start + 1
			continue
		}
		seen++
		norm := normalizeCells(rec)
		matched, missing := headerMatch(r.spec, norm)
		if first == nil {
			first = append([]string(nil), rec...)
			bestMissing = missing
		} else if len(missing) < len(bestMissing) {
			bestMissing = missing
		}
		if len(missing) > 0 || matched == 0 {
			continue
		}
		r.width = len(rec)
		r.widthMsg = "header has"
		for i, c := range r.spec.Columns {
			r.idx[i] = -1
			if c.Index > 0 {
				r.idx[i] = c.Index - 1
			} else {
				r.idx[i] = findColumn(c, norm)
			}
			r.maxIdx = max(r.maxIdx, r.idx[i])
		}
		return nil
	}
	if first == nil {
		return &ParseError{File: r.file, Err: errors.New("no header found: the file has no non-blank line")}
	}
	return &ParseError{File: r.file, Err: fmt.Errorf("no header found in the first %d non-blank lines: missing required columns %s; found header %s",
		search, quoteColumns(bestMissing), formatHeader(first))}
}

func (r *CSVReader) startHeaderless() error {
	for i, c := range r.spec.Columns {
		r.idx[i] = c.Index - 1
		r.maxIdx = max(r.maxIdx, r.idx[i])
	}
	r.widthMsg = "first row has"
	for {
		rec, start, end, err := r.read()
		if err == io.EOF {
			r.atEOF()
			r.done = true
			return nil
		}
		if err != nil {
			var cpe *csv.ParseError
			if errors.As(err, &cpe) {
				// Let the row logic reject it.
				r.rejectMalformed(cpe)
				continue
			}
			return r.fatal(err, r.prevEnd+1)
		}
		if allEmpty(rec) {
			r.stats.Blank += end - start + 1
			continue
		}
		r.width = len(rec)
		r.pending = append([]string(nil), rec...)
		r.pendStart, r.pendEnd = start, end
		r.hasPending = true
		return nil
	}
}

// Schema implements array.RecordReader.
func (r *CSVReader) Schema() *arrow.Schema { return r.schema }

// RecordBatch returns the current batch, valid until the next call to Next or
// Release.
func (r *CSVReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (r *CSVReader) Record() arrow.RecordBatch { return r.cur }

// Err returns the error that stopped the reader, if any (a *ParseError).
func (r *CSVReader) Err() error { return r.err }

// Retain increases the reference count.
func (r *CSVReader) Retain() { r.refs.Add(1) }

// Release decreases the reference count and frees the current batch and the
// builders when it reaches zero.
func (r *CSVReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.rb != nil {
		r.rb.release()
		r.rb = nil
	}
	r.done = true
}

// Rejects returns the rejected rows kept so far (at most WithMaxRejects).
func (r *CSVReader) Rejects() []Reject { return r.rejects }

// Stats returns the counts so far; they are final once Next has returned
// false.
func (r *CSVReader) Stats() Stats {
	s := r.stats
	s.Encoding = r.dec.Encoding()
	return s
}

// Next loads the next batch of up to the chunk size rows. It returns false at
// the end of the input or on a failure (see Err).
func (r *CSVReader) Next() (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.err = &ParseError{File: r.file, Line: r.prevEnd, Err: fmt.Errorf("internal error: %v", p)}
			r.done = true
			if r.cur != nil {
				r.cur.Release()
				r.cur = nil
			}
			ok = false
		}
	}()
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.rb == nil {
		return false
	}
	if r.hasPending {
		r.hasPending = false
		r.row(r.pending, r.pendStart)
		r.pending = nil
	}
	for !r.done && r.rb.len() < r.opts.chunk {
		r.step()
	}
	if r.rb.len() == 0 {
		return false
	}
	r.cur = r.rb.newRecord()
	return true
}

// step reads and handles one record, setting done at the end or on failure.
func (r *CSVReader) step() {
	rec, start, end, err := r.read()
	if err == io.EOF {
		r.atEOF()
		r.done = true
		return
	}
	if err != nil {
		var cpe *csv.ParseError
		if errors.As(err, &cpe) {
			r.rejectMalformed(cpe)
			return
		}
		r.err = r.fatal(err, r.prevEnd+1)
		r.done = true
		return
	}
	if allEmpty(rec) {
		r.stats.Blank += end - start + 1
		return
	}
	r.row(rec, start)
}

func (r *CSVReader) rejectMalformed(pe *csv.ParseError) {
	r.stats.DataLines++
	r.addReject(Reject{File: r.file, Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()})
}

func (r *CSVReader) addReject(rj Reject) {
	r.stats.Rejected++
	if len(r.rejects) < r.opts.maxRejects {
		r.rejects = append(r.rejects, rj)
	}
}

// row loads or rejects one data record that starts on line.
func (r *CSVReader) row(rec []string, line int) {
	r.stats.DataLines++
	if len(rec) <= r.maxIdx || (len(rec) > r.width && !allEmpty(rec[r.width:])) {
		r.addReject(Reject{File: r.file, Line: line,
			Reason: fmt.Sprintf("row has %d fields, %s %d", len(rec), r.widthMsg, r.width)})
		return
	}
	for i, ix := range r.idx {
		if ix >= 0 {
			r.vals[i] = rec[ix]
		} else {
			r.vals[i] = ""
		}
	}
	m := rowMeta{File: r.file, Line: line}
	if r.spec.RawColumn != "" {
		r.raw = appendCSVRecord(r.raw[:0], rec)
		m.Raw = string(r.raw)
	}
	if rj := r.rb.appendRow(r.vals, m); rj != nil {
		r.addReject(*rj)
		return
	}
	r.stats.Rows++
}

// appendCSVRecord appends rec as one CSV line (no line terminator), quoting
// fields as encoding/csv's Writer does.
func appendCSVRecord(b []byte, rec []string) []byte {
	for i, f := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		if f == "" || (!strings.ContainsAny(f, ",\"\r\n") && f[0] != ' ' && f[0] != '\t') {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(f, `"`, `""`)...)
		b = append(b, '"')
	}
	return b
}

var _ array.RecordReader = (*CSVReader)(nil)
