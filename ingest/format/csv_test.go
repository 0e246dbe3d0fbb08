package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// result is everything a CSVReader produced, with values as plain Go values:
// string, int64, float64, Decimal as "123.45" text, Date as "2006-01-02",
// bool, or nil for NULL.
type result struct {
	rows    [][]any
	rejects []Reject
	stats   Stats
	batches int
	err     error
}

func cellValue(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		return a.Value(i).ToString(dt.Scale)
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Boolean:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	}
	return fmt.Sprintf("unknown %T", col)
}

func readCSV(t testing.TB, r io.Reader, file string, spec FileSpec, opts ...Option) result {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rd, err := NewCSVReader(r, file, spec, append([]Option{WithAllocator(mem)}, opts...)...)
	if err != nil {
		return result{err: err}
	}
	defer rd.Release()
	var res result
	want := Schema(spec)
	for rd.Next() {
		rec := rd.RecordBatch()
		if !rec.Schema().Equal(want) {
			t.Fatalf("batch schema %v, want %v", rec.Schema(), want)
		}
		res.batches++
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for c := range row {
				row[c] = cellValue(rec.Column(c), i)
			}
			res.rows = append(res.rows, row)
		}
	}
	res.err = rd.Err()
	res.rejects = rd.Rejects()
	res.stats = rd.Stats()
	if s := res.stats; s.DataLines != s.Rows+s.Rejected {
		t.Errorf("DataLines %d != Rows %d + Rejected %d", s.DataLines, s.Rows, s.Rejected)
	}
	if res.stats.Rows != len(res.rows) {
		t.Errorf("Stats.Rows %d, read %d rows", res.stats.Rows, len(res.rows))
	}
	return res
}

func readFixture(t testing.TB, name string, spec FileSpec, opts ...Option) result {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "csv", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readCSV(t, f, name, spec, opts...)
}

func checkRows(t *testing.T, got result, want [][]any) {
	t.Helper()
	if got.err != nil {
		t.Fatalf("error: %v", got.err)
	}
	if !reflect.DeepEqual(got.rows, want) {
		t.Errorf("rows:\n got %#v\nwant %#v", got.rows, want)
	}
}

func checkRejects(t *testing.T, got result, want []Reject) {
	t.Helper()
	if len(got.rejects) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got.rejects, want) {
		t.Errorf("rejects:\n got %+v\nwant %+v", got.rejects, want)
	}
}

func checkStats(t *testing.T, got result, want Stats) {
	t.Helper()
	if got.stats != want {
		t.Errorf("stats %+v, want %+v", got.stats, want)
	}
}

func TestCSVBOM(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "code", Aliases: []string{"Code"}, Required: true},
		{Name: "name", Aliases: []string{"Name"}},
		{Name: "amount", Type: Decimal, Scale: 2, Aliases: []string{"Amount"}},
		{Name: "paid", Type: Date, Aliases: []string{"Paid"}},
	}}
	got := readFixture(t, "bom.csv", spec)
	checkRows(t, got, [][]any{
		{"E01000001", "Alpha", "1234.56", "2010-12-24"},
		{"E01000002", "Beta", "1616.23", "2012-06-15"},
	})
	checkStats(t, got, Stats{DataLines: 2, Rows: 2, Encoding: "utf-8 (BOM)"})
}

func TestCSVDoubleEncodedBOM(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "body_name", Aliases: []string{"Body Name"}, Required: true},
		{Name: "net_amount", Type: Decimal, Scale: 2, Aliases: []string{"Net Amount"}, Required: true},
	}}
	got := readFixture(t, "double_bom.csv", spec)
	checkRows(t, got, [][]any{
		{"Manchester City Council", "12.50"},
		{"Manchester City Council", "-3.00"},
	})
	checkStats(t, got, Stats{DataLines: 2, Rows: 2, Encoding: "utf-8 (double-encoded BOM)"})
}

func TestCSVWindows1252(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "supplier", Aliases: []string{"Supplier"}, Required: true},
		{Name: "amount", Type: Decimal, Scale: 2, Aliases: []string{"Amount"}},
		{Name: "note", Aliases: []string{"Note"}},
	}, RawColumn: "raw"}
	got := readFixture(t, "cp1252.csv", spec)
	checkRows(t, got, [][]any{
		{"WOMEN¿S AID", "500.00", "It’s done", "WOMEN¿S AID\u00a0,£500.00,It’s done"},
		{"CAFÉ LTD", "600.00", "“quoted”", "CAFÉ LTD,600,“quoted”"},
	})
	checkStats(t, got, Stats{DataLines: 2, Rows: 2, Encoding: "windows-1252"})
}

func TestCSVC1Mojibake(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "supplier", Aliases: []string{"Supplier"}, Required: true},
		{Name: "note", Aliases: []string{"Note"}},
	}}
	got := readFixture(t, "c1_mojibake.csv", spec)
	checkRows(t, got, [][]any{{"A", "It’s"}, {"B", "x – y"}})
	checkStats(t, got, Stats{DataLines: 2, Rows: 2, Encoding: "utf-8 + c1-repaired"})
}

func TestCSVThousandsSeparators(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true, Pattern: regexp.MustCompile(`^E01[0-9]{6}$`)},
		{Name: "imd_rank", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Rank", "IMD Rank"}, Required: true},
		{Name: "decile", Type: Int, Aliases: []string{"Decile"}},
	}, LineColumn: "line", FileColumn: "file"}
	got := readFixture(t, "thousands.csv", spec)
	checkRows(t, got, [][]any{
		{"E01000001", int64(29199), int64(9), "thousands.csv", int64(2)},
		{"E01000002", int64(1296), int64(1), "thousands.csv", int64(3)},
		{"E01000003", int64(32844), int64(10), "thousands.csv", int64(4)},
	})
	checkRejects(t, got, []Reject{{File: "thousands.csv", Line: 5, Column: "Index of Multiple Deprivation (IMD) Rank", Value: "12,34", Reason: "not an integer"}})
	checkStats(t, got, Stats{DataLines: 4, Rows: 3, Rejected: 1, Encoding: "utf-8"})
}

func TestCSVNullTokens(t *testing.T) {
	cols := []Column{
		{Name: "code", Required: true},
		{Name: "value", Type: Int},
		{Name: "score", Type: Float},
	}
	t.Run("NA listed", func(t *testing.T) {
		got := readFixture(t, "na.csv", FileSpec{Kind: "k", Columns: cols, NullTokens: []string{"NA"}})
		checkRows(t, got, [][]any{
			{"a", nil, 1.5},
			{"b", nil, 2.5},
			{"c", int64(12), nil},
		})
		checkRejects(t, got, []Reject{{File: "na.csv", Line: 5, Column: "value", Value: "n/a", Reason: "not an integer"}})
		checkStats(t, got, Stats{DataLines: 4, Rows: 3, Rejected: 1, Encoding: "utf-8"})
	})
	t.Run("NA not listed", func(t *testing.T) {
		got := readFixture(t, "na.csv", FileSpec{Kind: "k", Columns: cols})
		checkRows(t, got, [][]any{{"b", nil, 2.5}})
		checkRejects(t, got, []Reject{
			{File: "na.csv", Line: 2, Column: "value", Value: "NA", Reason: "not an integer"},
			{File: "na.csv", Line: 4, Column: "score", Value: "NA", Reason: "not a number"},
			{File: "na.csv", Line: 5, Column: "value", Value: "n/a", Reason: "not an integer"},
		})
	})
	t.Run("NotNull", func(t *testing.T) {
		c := append([]Column(nil), cols...)
		c[2].NotNull = true
		got := readFixture(t, "na.csv", FileSpec{Kind: "k", Columns: c, NullTokens: []string{"NA", "n/a"}})
		checkRows(t, got, [][]any{{"a", nil, 1.5}, {"b", nil, 2.5}})
		checkRejects(t, got, []Reject{
			{File: "na.csv", Line: 4, Column: "score", Value: "NA", Reason: "required value is empty"},
			{File: "na.csv", Line: 5, Column: "score", Value: "", Reason: "required value is empty"},
		})
	})
}

func TestCSVLineEndings(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "a", Type: Int, Required: true},
		{Name: "b"},
	}, LineColumn: "line", RawColumn: "raw"}
	for _, name := range []string{"crlf.csv", "lf_no_final_newline.csv"} {
		t.Run(name, func(t *testing.T) {
			got := readFixture(t, name, spec)
			checkRows(t, got, [][]any{{int64(1), "x", int64(2), "1,x"}, {int64(2), "y", int64(3), "2,y"}})
			checkStats(t, got, Stats{DataLines: 2, Rows: 2, Encoding: "utf-8"})
		})
	}
}

func TestCSVQuotedNewlines(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "name", Aliases: []string{"Name"}, Required: true},
		{Name: "opening_times", Aliases: []string{"Opening times"}},
		{Name: "postcode", Aliases: []string{"Postcode"}},
	}, LineColumn: "line", RawColumn: "raw"}
	got := readFixture(t, "quoted_newlines.csv", spec)
	checkRows(t, got, [][]any{
		{"Food Bank A", "Mon 10-12\nTue 1-3", "M1 1AA", int64(2), "Food Bank A,\"Mon 10-12\nTue 1-3\",M1 1AA"},
		{"Pantry B", "Wed", "M2 2BB", int64(4), "Pantry B,Wed,M2 2BB"},
		{`Club "C"`, "Thu\n\nFri", "M3 3CC", int64(5), "\"Club \"\"C\"\"\",\"Thu\n\nFri\",M3 3CC"},
		{"D", "Sat", "M4 4DD", int64(8), "D,Sat,M4 4DD"},
	})
	checkStats(t, got, Stats{DataLines: 4, Rows: 4, Encoding: "utf-8"})
}

func headerlessSpec() FileSpec {
	return FileSpec{Kind: "epraccur", Headerless: true, Columns: []Column{
		{Name: "code", Index: 1, Required: true, NotNull: true, Pattern: regexp.MustCompile(`^[A-Z][0-9]{5}$`)},
		{Name: "name", Index: 2},
		{Name: "open_date", Type: Date, Index: 3},
		{Name: "close_date", Type: Date, Index: 4},
		{Name: "status", Index: 5},
		{Name: "setting", Type: Int, Index: 6},
	}, LineColumn: "line"}
}

func TestCSVHeaderless(t *testing.T) {
	got := readFixture(t, "headerless.csv", headerlessSpec())
	checkRows(t, got, [][]any{
		{"Z99001", "EXAMPLE SURGERY", "1974-04-01", nil, "A", int64(4), int64(1)},
		{"Z99002", "SAMPLE MEDICAL CENTRE", "1974-04-01", "2020-03-31", "C", int64(4), int64(2)},
		{"Y00001", "OUT OF HOURS", "2023-12-04", nil, "A", nil, int64(5)},
	})
	if len(got.rejects) != 2 {
		t.Fatalf("rejects %+v", got.rejects)
	}
	if r := got.rejects[0]; r.Line != 3 || r.Column != "open_date" || r.Value != "19741301" || !strings.HasPrefix(r.Reason, "not a date (tried yyyy-mm-dd, dd/mm/yyyy") {
		t.Errorf("reject 0 = %+v", r)
	}
	if r := got.rejects[1]; r != (Reject{File: "headerless.csv", Line: 4, Reason: "row has 4 fields, first row has 6"}) {
		t.Errorf("reject 1 = %+v", r)
	}
	checkStats(t, got, Stats{DataLines: 5, Rows: 3, Rejected: 2, Encoding: "utf-8"})
}

func TestCSVRagged(t *testing.T) {
	all := FileSpec{Kind: "k", Columns: []Column{
		{Name: "a", Type: Int, Required: true}, {Name: "b"}, {Name: "c"}, {Name: "d"},
	}, LineColumn: "line"}
	got := readFixture(t, "ragged.csv", all)
	checkRows(t, got, [][]any{
		{int64(1), "2", "3", "4", int64(2)},
		{int64(11), "12", "13", "14", int64(5)},
	})
	checkRejects(t, got, []Reject{
		{File: "ragged.csv", Line: 3, Reason: "row has 1 fields, header has 4"},
		{File: "ragged.csv", Line: 4, Reason: "row has 5 fields, header has 4"},
		{File: "ragged.csv", Line: 6, Reason: "row has 3 fields, header has 4"},
	})
	checkStats(t, got, Stats{DataLines: 5, Rows: 2, Rejected: 3, Encoding: "utf-8"})

	// Mapping only a and b: the 3-field row loads; too few and too many still reject.
	two := FileSpec{Kind: "k", Columns: []Column{{Name: "a", Type: Int, Required: true}, {Name: "b"}}}
	got = readFixture(t, "ragged.csv", two)
	checkRows(t, got, [][]any{{int64(1), "2"}, {int64(11), "12"}, {int64(15), "16"}})
	checkRejects(t, got, []Reject{
		{File: "ragged.csv", Line: 3, Reason: "row has 1 fields, header has 4"},
		{File: "ragged.csv", Line: 4, Reason: "row has 5 fields, header has 4"},
	})
}

func TestCSVTrailingEmptyColumns(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "body", Aliases: []string{"Body"}, Required: true},
		{Name: "body_name", Aliases: []string{"Body name"}},
		{Name: "net_amount", Type: Decimal, Scale: 2, Aliases: []string{"Net amount"}, Required: true},
	}}
	got := readFixture(t, "trailing_empty_cols.csv", spec)
	checkRows(t, got, [][]any{{"X1", "Leeds", "10.00"}, {"X2", "Leeds", "20.50"}, {"X3", "Leeds", "30.00"}})
	checkStats(t, got, Stats{DataLines: 3, Rows: 3, Encoding: "utf-8"})
}

func TestCSVBlankLines(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "id", Type: Int, Required: true}, {Name: "val"}}, LineColumn: "line"}
	got := readFixture(t, "blank_lines.csv", spec)
	checkRows(t, got, [][]any{{int64(1), "a", int64(3)}, {int64(2), "b", int64(6)}, {int64(3), "c", int64(8)}})
	// Blank: lines 1, 4, 5 (",,"), 7 (spaces), 9, 10.
	checkStats(t, got, Stats{DataLines: 3, Rows: 3, Blank: 6, Encoding: "utf-8"})
}

func leedsSpec(search int) FileSpec {
	return FileSpec{Kind: "leeds", HeaderSearch: search, Columns: []Column{
		{Name: "body_name", Aliases: []string{"Body name", "BodyName"}, Required: true},
		{Name: "date_paid", Type: Date, Aliases: []string{"Date paid"}, Required: true},
		{Name: "net_amount", Type: Decimal, Scale: 2, Aliases: []string{"Net amount"}, Required: true},
		{Name: "supplier_name", Aliases: []string{"Supplier name"}},
	}, LineColumn: "line"}
}

func TestCSVTitleBlock(t *testing.T) {
	got := readFixture(t, "title_block.csv", leedsSpec(5))
	checkRows(t, got, [][]any{{"Leeds", "2010-12-01", "1616.23", "ACME LTD", int64(5)}})
	checkStats(t, got, Stats{DataLines: 1, Rows: 1, Blank: 1, Encoding: "utf-8"})

	// With the default HeaderSearch the title line is taken for the header and fails.
	got = readFixture(t, "title_block.csv", leedsSpec(0))
	var pe *ParseError
	if !errors.As(got.err, &pe) || pe.File != "title_block.csv" {
		t.Fatalf("err = %v, want *ParseError", got.err)
	}
	for _, want := range []string{`missing required columns "Body name", "Date paid", "Net amount"`, "found header [Leeds City Council spending over £500   ]"} {
		if !strings.Contains(pe.Error(), want) {
			t.Errorf("error %q does not contain %q", pe.Error(), want)
		}
	}
}

func TestCSVExcelDamaged(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true},
		{Name: "rank", Type: Int, Aliases: []string{"Rank"}, Required: true},
		{Name: "score", Type: Float, Aliases: []string{"Score"}},
		{Name: "date", Type: Date, Aliases: []string{"Date"}},
	}}
	got := readFixture(t, "excel_damaged.csv", spec)
	checkRows(t, got, [][]any{
		{"E01000001", int64(29199), 1.5, "2010-12-24"},
		{"E01000002", int64(123000), 2.5, "2022-04-01"},
		{"E01000007", int64(1000), 1000.0, "2019-12-31"},
	})
	if len(got.rejects) != 4 {
		t.Fatalf("rejects: %+v", got.rejects)
	}
	want := []Reject{
		{File: "excel_damaged.csv", Line: 4, Column: "Rank", Value: "######", Reason: "not an integer"},
		{File: "excel_damaged.csv", Line: 5, Column: "Rank", Value: "1.234567E+02", Reason: "not an integer"},
		{File: "excel_damaged.csv", Line: 6, Column: "Score", Value: "#VALUE!", Reason: "not a number"},
	}
	checkRejects(t, result{rejects: got.rejects[:3]}, want)
	if r := got.rejects[3]; r.Line != 7 || r.Column != "Date" || r.Value != "43831" || !strings.HasPrefix(r.Reason, "not a date (tried") {
		t.Errorf("reject 3 = %+v", r)
	}
	checkStats(t, got, Stats{DataLines: 7, Rows: 3, Rejected: 4, Encoding: "utf-8 (BOM)"})
}

func TestCSVContainers(t *testing.T) {
	spec := FileSpec{Kind: "iod", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true},
		{Name: "lsoa_name", Aliases: []string{"LSOA name (2011)"}},
		{Name: "imd_rank", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Rank"}, Required: true},
	}, FileColumn: "file", LineColumn: "line"}
	for _, name := range []string{"iod_like.csv.gz", "gzip_without_extension.dat"} {
		entries, err := OpenEntries(filepath.Join("testdata", "csv", name))
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s: %v %v", name, entries, err)
		}
		rc, err := entries[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		got := readCSV(t, rc, entries[0].Name, spec)
		rc.Close()
		file := strings.TrimSuffix(name, ".gz")
		checkRows(t, got, [][]any{
			{"E01900001", "Exampleton 001A", int64(12345), file, int64(2)},
			{"E01900002", "Exampleton 001B", int64(23456), file, int64(3)},
			{"E01900003", "Exampleton 001C", int64(7890), file, int64(4)},
		})
		checkStats(t, got, Stats{DataLines: 3, Rows: 3, Encoding: "utf-8 (BOM)"})
	}

	entries, err := OpenEntries(filepath.Join("testdata", "csv", "bundle.zip"))
	if err != nil {
		t.Fatal(err)
	}
	ab := FileSpec{Kind: "ab", Columns: []Column{{Name: "a", Type: Int, Required: true}, {Name: "b", Type: Int}}, FileColumn: "file"}
	var rows [][]any
	for _, e := range entries {
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		got := readCSV(t, rc, e.Name, ab)
		rc.Close()
		if got.err != nil {
			t.Fatal(got.err)
		}
		rows = append(rows, got.rows...)
	}
	want := [][]any{{int64(1), int64(2), "a.csv"}, {int64(3), int64(4), "b.csv"}, {int64(5), int64(6), "c.csv"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("zip rows %v, want %v", rows, want)
	}
}

func TestCSVTruncatedGzipFailsReading(t *testing.T) {
	spec := FileSpec{Kind: "iod", Columns: []Column{{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true}}}
	entries, err := OpenEntries(filepath.Join("testdata", "csv", "truncated.csv.gz"))
	if err != nil {
		t.Fatalf("header is intact, listing should work: %v", err)
	}
	rc, err := entries[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := readCSV(t, rc, entries[0].Name, spec)
	var pe *ParseError
	if !errors.As(got.err, &pe) || pe.File != "truncated.csv.gz" || !strings.Contains(pe.Error(), "truncated gzip stream") {
		t.Fatalf("err = %v", got.err)
	}
}

func TestCSVEmptyAndNoHeader(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "a", Required: true}}}
	got := readFixture(t, "empty.csv", spec)
	var pe *ParseError
	if !errors.As(got.err, &pe) || !strings.Contains(pe.Error(), "no header found") {
		t.Fatalf("empty file: %v", got.err)
	}
	got = readFixture(t, "empty.csv", headerlessSpec())
	if got.err != nil || len(got.rows) != 0 {
		t.Fatalf("empty headerless: %v %v", got.rows, got.err)
	}
}

// Duplicate headers map to the first; aliases are tried in order.
func TestCSVHeaderMapping(t *testing.T) {
	in := "Amount,NET_AMOUNT,amount,Net Amount\n1,2,3,4\n"
	spec := FileSpec{Kind: "k", Columns: []Column{
		{Name: "net", Type: Int, Aliases: []string{"Net amount", "Amount"}, Required: true},
		{Name: "amt", Type: Int, Aliases: []string{"amount"}},
		{Name: "missing", Type: Int, Aliases: []string{"nope"}},
	}}
	got := readCSV(t, strings.NewReader(in), "x.csv", spec)
	checkRows(t, got, [][]any{{int64(2), int64(1), nil}})
}

func TestCSVChunksAndMaxRejects(t *testing.T) {
	var b strings.Builder
	b.WriteString("n\n")
	for i := 0; i < 1000; i++ {
		if i%10 == 9 {
			b.WriteString("bad\n")
		} else {
			fmt.Fprintf(&b, "%d\n", i)
		}
	}
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "n", Type: Int, Required: true}}}
	got := readCSV(t, strings.NewReader(b.String()), "x.csv", spec, WithChunkSize(64), WithMaxRejects(5))
	if got.batches != (900+63)/64 {
		t.Errorf("batches = %d", got.batches)
	}
	if len(got.rows) != 900 || len(got.rejects) != 5 || got.stats.Rejected != 100 {
		t.Errorf("rows %d rejects kept %d counted %d", len(got.rows), len(got.rejects), got.stats.Rejected)
	}
	if got.rejects[4].Line != 51 {
		t.Errorf("fifth reject at line %d, want 51", got.rejects[4].Line)
	}
}

func TestCSVRejectValueTruncated(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "n", Type: Int, Required: true}}}
	got := readCSV(t, strings.NewReader("n\n"+long+"\n"), "x.csv", spec)
	if len(got.rejects) != 1 || got.rejects[0].Value != strings.Repeat("é", 100) {
		t.Fatalf("rejects %+v", got.rejects)
	}
}

// A failing source ends the reader with a *ParseError naming the file.
func TestCSVReadErrorIsParseError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("n\n1\n2\n"), &errAfter{err: boom})
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "n", Type: Int, Required: true}}}
	got := readCSV(t, r, "x.csv", spec)
	var pe *ParseError
	if !errors.As(got.err, &pe) || pe.File != "x.csv" || !errors.Is(got.err, boom) {
		t.Fatalf("err = %v", got.err)
	}
	if len(got.rows) != 2 {
		t.Errorf("rows before the failure: %v", got.rows)
	}
}

type errAfter struct{ err error }

func (e *errAfter) Read([]byte) (int, error) { return 0, e.err }

func TestCSVReaderIsRecordReader(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "a", Type: Int, Required: true}, {Name: "b"}}}
	rd, err := NewCSVReader(bytes.NewReader([]byte("a,b\n1,x\n")), "x.csv", spec)
	if err != nil {
		t.Fatal(err)
	}
	var rr array.RecordReader = rd
	rr.Retain()
	rr.Release()
	if !rr.Next() || rr.Record().NumRows() != 1 || rr.RecordBatch().NumRows() != 1 {
		t.Fatal("want one row")
	}
	if rr.Next() || rr.Err() != nil {
		t.Fatal("want end")
	}
	rr.Release()
	if rr.Next() {
		t.Fatal("Next after Release")
	}
}

// With LazyQuotes an unterminated quote runs to the end of the input; the
// line accounting must still match the physical lines.
func TestCSVUnterminatedQuote(t *testing.T) {
	spec := FileSpec{Kind: "k", Columns: []Column{{Name: "a", Type: Int, Required: true}, {Name: "b"}}, LineColumn: "line"}
	got := readCSV(t, strings.NewReader("a,b\n1,\"x\n2,y\n"), "x.csv", spec)
	checkRows(t, got, [][]any{{int64(1), "x\n2,y", int64(2)}})
	checkStats(t, got, Stats{DataLines: 1, Rows: 1, Encoding: "utf-8"})

	got = readCSV(t, strings.NewReader("a,b\n1,x\n\"\n"), "x.csv", spec)
	checkRows(t, got, [][]any{{int64(1), "x", int64(2)}})
	checkStats(t, got, Stats{DataLines: 1, Rows: 1, Blank: 1, Encoding: "utf-8"})
}
