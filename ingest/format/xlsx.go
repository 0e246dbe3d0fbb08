package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/xuri/excelize/v2"
)

// XLSXReader reads one worksheet of an Excel workbook (.xlsx) as Arrow
// record batches with the schema Schema(spec). It implements
// array.RecordReader, like CSVReader, and follows the same rules.
//
// The worksheet is the first (in workbook order) whose first HeaderSearch
// non-blank rows hold a header with every Required column; rows above the
// header (a title block) are skipped. Rows are streamed with excelize's
// Rows iterator and read as raw cell values (no number formats), so a
// currency-formatted 1234.5 reads "1234.5" and a date reads as its serial
// number. In a Date column a cell holding a plain number below 100000 is
// taken as an Excel date serial (1900 or 1904 system, as the workbook says)
// and converted with excelize.ExcelDateToTime; any other value goes through
// ParseDate like CSV text. Text cells such as "£1,234.56" or "24/12/2010"
// are converted exactly as in a CSV.
//
// Line numbers (Reject.Line, LineColumn) are spreadsheet row numbers. Empty
// rows are skipped and counted in Stats.Blank; every other row after the
// header is a data line, loaded or rejected. A row shorter than the header
// is padded with empty cells (spreadsheets do not store trailing blanks); a
// row with non-empty cells beyond the header's width is rejected. Stats.Encoding
// is "xlsx".
//
// Panics inside the XLSX library are recovered into a *ParseError. An
// XLSXReader is not safe for concurrent use.
type XLSXReader struct {
	file     string
	spec     FileSpec
	opts     options
	wb       *excelize.File
	rows     *excelize.Rows
	sheet    string
	date1904 bool
	schema   *arrow.Schema
	rb       *rowBuilder

	idx    []int // header index per spec column, -1 when absent
	width  int   // header width
	isDate []bool
	vals   []string
	raw    []byte
	rowNum int // spreadsheet row number of the last row read

	stats   Stats
	rejects []Reject
	cur     arrow.RecordBatch
	err     error
	done    bool
	refs    atomic.Int64
}

// xlsxRaw makes excelize return stored cell values, not formatted ones.
var xlsxRaw = excelize.Options{RawCellValue: true}

// EncodingXLSX is the Stats.Encoding of an XLSXReader.
const EncodingXLSX = "xlsx"

// IsXLSX reports whether the first bytes of a file look like an Excel
// workbook: a zip whose first member is [Content_Types].xml or under xl/
// (Excel writes the former first, excelize a worksheet), or whose first
// bytes name xl/workbook.xml. OpenEntries checks the central directory
// instead; this is for zip members, read from the front.
func IsXLSX(head []byte) bool {
	if !bytes.HasPrefix(head, magicZip) || len(head) < 30 {
		return false
	}
	n := int(binary.LittleEndian.Uint16(head[26:28]))
	if 30+n <= len(head) {
		first := string(head[30 : 30+n])
		if first == "[Content_Types].xml" || strings.HasPrefix(first, "xl/") {
			return true
		}
	}
	return bytes.Contains(head, []byte("xl/workbook.xml"))
}

// openWorkbook opens path with excelize, turning a panic into an error.
func openWorkbook(path, file string) (wb *excelize.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			wb, err = nil, &ParseError{File: file, Err: fmt.Errorf("internal error opening the workbook: %v", p)}
		}
	}()
	wb, err = excelize.OpenFile(path, xlsxRaw)
	if err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a readable XLSX workbook: %w", err)}
	}
	return wb, nil
}

// sheetHead returns up to n non-blank rows from the top of a sheet.
func sheetHead(wb *excelize.File, sheet string, n int) (lines [][]string, err error) {
	rows, err := wb.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for len(lines) < n && rows.Next() {
		cells, err := rows.Columns(xlsxRaw)
		if err != nil {
			return lines, err
		}
		if allEmpty(cells) {
			continue
		}
		lines = append(lines, append([]string(nil), cells...))
	}
	return lines, rows.Error()
}

// IdentifyXLSX picks the spec that describes a workbook, by the same rules
// as Identify applied to the top rows of each worksheet in turn: the first
// sheet that some spec recognises decides. On failure the error names the
// file and gives the first sheet's header and the columns missing.
func IdentifyXLSX(path, file string, specs []FileSpec) (spec FileSpec, err error) {
	wb, err := openWorkbook(path, file)
	if err != nil {
		return FileSpec{}, err
	}
	defer wb.Close()
	defer func() {
		if p := recover(); p != nil {
			spec, err = FileSpec{}, &ParseError{File: file, Err: fmt.Errorf("internal error reading the workbook: %v", p)}
		}
	}()
	n := 1
	for _, s := range specs {
		n = max(n, headerSearch(s))
	}
	var first error
	for _, sheet := range wb.GetSheetList() {
		lines, err := sheetHead(wb, sheet, n)
		if err != nil {
			return FileSpec{}, &ParseError{File: file, Err: fmt.Errorf("sheet %q: %w", sheet, err)}
		}
		if len(lines) == 0 {
			continue
		}
		// Identify reads CSV: render the rows as CSV and ask it.
		var buf []byte
		for _, l := range lines {
			buf = appendCSVRecord(buf, l)
			buf = append(buf, '\n')
		}
		s, err := Identify(bytes.NewReader(buf), file, specs)
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = fmt.Errorf("sheet %q: %w", sheet, errors.Unwrap(err))
		}
	}
	if first == nil {
		first = errors.New("no file kind matches: no worksheet has a non-blank row")
	}
	return FileSpec{}, &ParseError{File: file, Err: first}
}

// NewXLSXReader opens the workbook at path (file is the name used in
// messages and the FileColumn) and positions the reader after the header
// of the first worksheet that matches spec. It returns a *ParseError when
// the file is not a readable workbook or no worksheet has the header.
func NewXLSXReader(path string, file string, spec FileSpec, opts ...Option) (rd *XLSXReader, err error) {
	if spec.Headerless {
		return nil, &ParseError{File: file, Err: fmt.Errorf("kind %q is headerless; workbooks are read by header only", spec.Kind)}
	}
	wb, err := openWorkbook(path, file)
	if err != nil {
		return nil, err
	}
	x := &XLSXReader{
		file:   file,
		spec:   spec,
		opts:   newOptions(opts),
		wb:     wb,
		schema: Schema(spec),
		idx:    make([]int, len(spec.Columns)),
		isDate: make([]bool, len(spec.Columns)),
		vals:   make([]string, len(spec.Columns)),
	}
	x.refs.Store(1)
	defer func() {
		if p := recover(); p != nil {
			err = &ParseError{File: file, Err: fmt.Errorf("internal error reading the header: %v", p)}
		}
		if err != nil {
			x.close()
			rd = nil
		}
	}()
	if props, perr := wb.GetWorkbookProps(); perr == nil && props.Date1904 != nil {
		x.date1904 = *props.Date1904
	}
	for i, c := range spec.Columns {
		x.isDate[i] = c.Type == Date
	}
	if err = x.findHeader(); err != nil {
		return nil, err
	}
	x.rb = newRowBuilder(x.opts.mem, spec)
	return x, nil
}

// findHeader looks for the header in each worksheet in turn and leaves
// r.rows positioned after it.
func (r *XLSXReader) findHeader() error {
	search := headerSearch(r.spec)
	var first []string
	var firstSheet string
	var bestMissing []Column
	for _, sheet := range r.wb.GetSheetList() {
		rows, err := r.wb.Rows(sheet)
		if err != nil {
			return &ParseError{File: r.file, Err: fmt.Errorf("sheet %q: %w", sheet, err)}
		}
		seen, rowNum, blank := 0, 0, 0
		for seen < search && rows.Next() {
			rowNum++
			cells, err := rows.Columns(xlsxRaw)
			if err != nil {
				rows.Close()
				return &ParseError{File: r.file, Line: rowNum, Err: fmt.Errorf("sheet %q: %w", sheet, err)}
			}
			if allEmpty(cells) {
				blank++
				continue
			}
			seen++
			norm := normalizeCells(cells)
			matched, missing := headerMatch(r.spec, norm)
			if first == nil {
				first, firstSheet, bestMissing = append([]string(nil), cells...), sheet, missing
			} else if sheet == firstSheet && len(missing) < len(bestMissing) {
				bestMissing = missing
			}
			if len(missing) > 0 || matched == 0 {
				continue
			}
			r.rows, r.sheet, r.rowNum = rows, sheet, rowNum
			r.stats.Blank = blank
			r.width = len(cells)
			for i, c := range r.spec.Columns {
				r.idx[i] = -1
				if c.Index > 0 {
					r.idx[i] = c.Index - 1
				} else {
					r.idx[i] = findColumn(c, norm)
				}
			}
			return nil
		}
		if err := rows.Close(); err != nil {
			return &ParseError{File: r.file, Err: fmt.Errorf("sheet %q: %w", sheet, err)}
		}
	}
	if first == nil {
		return &ParseError{File: r.file, Err: errors.New("no header found: no worksheet has a non-blank row")}
	}
	return &ParseError{File: r.file, Err: fmt.Errorf("no header found in the first %d non-blank rows of any worksheet: missing required columns %s; found header %s (sheet %q)",
		search, quoteColumns(bestMissing), formatHeader(first), firstSheet)}
}

// Sheet is the name of the worksheet being read.
func (r *XLSXReader) Sheet() string { return r.sheet }

// Schema implements array.RecordReader.
func (r *XLSXReader) Schema() *arrow.Schema { return r.schema }

// RecordBatch returns the current batch, valid until the next call to Next or
// Release.
func (r *XLSXReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (r *XLSXReader) Record() arrow.RecordBatch { return r.cur }

// Err returns the error that stopped the reader, if any (a *ParseError).
func (r *XLSXReader) Err() error { return r.err }

// Retain increases the reference count.
func (r *XLSXReader) Retain() { r.refs.Add(1) }

// Release decreases the reference count and, at zero, frees the current
// batch and the builders and closes the workbook (removing any temporary
// files excelize made).
func (r *XLSXReader) Release() {
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
	r.close()
	r.done = true
}

func (r *XLSXReader) close() {
	if r.rows != nil {
		r.rows.Close()
		r.rows = nil
	}
	if r.wb != nil {
		r.wb.Close()
		r.wb = nil
	}
}

// Rejects returns the rejected rows kept so far (at most WithMaxRejects).
func (r *XLSXReader) Rejects() []Reject { return r.rejects }

// Stats returns the counts so far; they are final once Next has returned
// false.
func (r *XLSXReader) Stats() Stats {
	s := r.stats
	s.Encoding = EncodingXLSX
	return s
}

// Next loads the next batch of up to the chunk size rows. It returns false at
// the end of the worksheet or on a failure (see Err).
func (r *XLSXReader) Next() (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.err = &ParseError{File: r.file, Line: r.rowNum, Err: fmt.Errorf("internal error: %v", p)}
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
	for !r.done && r.rb.len() < r.opts.chunk {
		r.step()
	}
	if r.rb.len() == 0 {
		return false
	}
	r.cur = r.rb.newRecord()
	return true
}

// step reads and handles one worksheet row.
func (r *XLSXReader) step() {
	if r.rows == nil || !r.rows.Next() {
		if r.rows != nil {
			if err := r.rows.Error(); err != nil {
				r.err = &ParseError{File: r.file, Line: r.rowNum + 1, Err: err}
			}
		}
		r.done = true
		return
	}
	r.rowNum++
	cells, err := r.rows.Columns(xlsxRaw)
	if err != nil {
		r.err = &ParseError{File: r.file, Line: r.rowNum, Err: err}
		r.done = true
		return
	}
	if allEmpty(cells) {
		r.stats.Blank++
		return
	}
	r.row(cells, r.rowNum)
}

func (r *XLSXReader) addReject(rj Reject) {
	r.stats.Rejected++
	if len(r.rejects) < r.opts.maxRejects {
		r.rejects = append(r.rejects, rj)
	}
}

// row loads or rejects one data row.
func (r *XLSXReader) row(cells []string, line int) {
	r.stats.DataLines++
	if len(cells) > r.width && !allEmpty(cells[r.width:]) {
		r.addReject(Reject{File: r.file, Line: line,
			Reason: fmt.Sprintf("row has cells in %d columns, header has %d", len(cells), r.width)})
		return
	}
	for i, ix := range r.idx {
		v := ""
		if ix >= 0 && ix < len(cells) {
			v = cells[ix]
		}
		if r.isDate[i] {
			v = r.serialDate(v)
		}
		r.vals[i] = v
	}
	m := rowMeta{File: r.file, Line: line}
	if r.spec.RawColumn != "" {
		r.raw = appendCSVRecord(r.raw[:0], cells)
		m.Raw = string(r.raw)
	}
	if rj := r.rb.appendRow(r.vals, m); rj != nil {
		r.addReject(*rj)
		return
	}
	r.stats.Rows++
}

// maxSerial bounds what a Date cell may hold to be read as an Excel serial:
// 100000 is the year 2173, so yyyymmdd numbers (20101224) stay dates in
// that form.
const maxSerial = 100000

// serialDate turns a plain number (an Excel date serial) into yyyy-mm-dd;
// anything else is returned as it is for ParseDate.
func (r *XLSXReader) serialDate(v string) string {
	s := trimValue(v)
	if s == "" || !isDigit(s[0]) {
		return v
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f >= maxSerial || strings.ContainsAny(s, "eE") {
		return v
	}
	t, err := excelize.ExcelDateToTime(f, r.date1904)
	if err != nil {
		return v
	}
	return t.Format("2006-01-02")
}

var _ array.RecordReader = (*XLSXReader)(nil)
