package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fixtureSeeds returns the bytes of every CSV fixture (decompressed for the
// gzip ones is not needed: the raw bytes are good seeds for the decoder).
func fixtureSeeds(f interface{ Add(...any) }) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "csv", "*.csv"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzDecode(f *testing.F) {
	fixtureSeeds(f)
	for _, s := range []string{"", "\xEF\xBB", "\xC3\xAF\xC2\xBB\xC2", "\xFF\xFE a", "\xFE\xFF\x00a\xD8", "\xC2\x92\xE2\x80", "\xF0\x9F\x98"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := Decode(bytes.NewReader(in))
		out, err := io.ReadAll(d)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 %q from %q", out, in)
		}
		enc := d.Encoding()
		out1, err := io.ReadAll(Decode(iotest.OneByteReader(bytes.NewReader(in))))
		if err != nil || !bytes.Equal(out, out1) {
			t.Fatalf("one byte at a time differs: %q vs %q", out1, out)
		}
		// Valid UTF-8 without a BOM or C1 controls passes through unchanged.
		if utf8.Valid(in) && enc == "utf-8" && !bytes.Equal(in, out) {
			t.Fatalf("valid UTF-8 changed: %q -> %q", in, out)
		}
	})
}

func FuzzCSVReader(f *testing.F) {
	fixtureSeeds(f)
	f.Add([]byte("a,b\n\"1,2\",x\n\"unterminated\n3"))
	f.Add([]byte("a,b\r\n1\r\n1,2,3\r\n,,\r\n\r\n"))
	header := FileSpec{Kind: "h", HeaderSearch: 3, Columns: []Column{
		{Name: "a", Type: Int, Aliases: []string{"a", "Code"}, Required: true},
		{Name: "b", Aliases: []string{"b", "Name"}, Pattern: regexp.MustCompile(`^[a-z]*$`)},
		{Name: "c", Type: Decimal, Scale: 2, Aliases: []string{"c", "Amount"}},
		{Name: "d", Type: Date, Aliases: []string{"d", "Paid"}},
		{Name: "e", Type: Float, Aliases: []string{"e"}, NotNull: true},
		{Name: "f", Type: Bool, Aliases: []string{"f"}},
	}, NullTokens: []string{"NA"}, FileColumn: "file", LineColumn: "line", RawColumn: "raw"}
	headerless := FileSpec{Kind: "x", Headerless: true, Columns: []Column{
		{Name: "a", Index: 1}, {Name: "b", Type: Int, Index: 2}, {Name: "c", Type: Date, Index: 4},
	}, LineColumn: "line"}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, spec := range []FileSpec{header, headerless} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			rd, err := NewCSVReader(bytes.NewReader(in), "f.csv", spec, WithAllocator(mem), WithChunkSize(3), WithMaxRejects(2))
			if err != nil {
				if _, ok := err.(*ParseError); !ok {
					t.Fatalf("error %T %v", err, err)
				}
				continue
			}
			rows := 0
			prevLine := int64(0)
			for rd.Next() {
				rec := rd.RecordBatch()
				if rec.NumRows() == 0 || rec.NumRows() > 3 {
					t.Fatalf("batch of %d rows", rec.NumRows())
				}
				lines := rec.Column(len(spec.Columns) + boolInt(spec.FileColumn != ""))
				for i := 0; i < int(rec.NumRows()); i++ {
					l, _ := strconv.ParseInt(lines.ValueStr(i), 10, 64)
					if l <= prevLine {
						t.Fatalf("line %d after %d", l, prevLine)
					}
					prevLine = l
				}
				rows += int(rec.NumRows())
			}
			if err := rd.Err(); err != nil {
				t.Fatalf("reading bytes cannot fail: %v", err)
			}
			s := rd.Stats()
			if s.DataLines != s.Rows+s.Rejected || s.Rows != rows || len(rd.Rejects()) != min(2, s.Rejected) {
				t.Fatalf("stats %+v, rows %d, rejects %d", s, rows, len(rd.Rejects()))
			}
			lines := bytes.Count(in, []byte{'\n'})
			if len(in) > 0 && in[len(in)-1] != '\n' {
				lines++
			}
			if s.DataLines+s.Blank > lines {
				t.Fatalf("%d data lines + %d blank > %d lines", s.DataLines, s.Blank, lines)
			}
			rd.Release()
			mem.AssertSize(t, 0)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"£1,234.56", "(12.50)", "-£5", "5.00-", "1616.23 ", "1.23E+05", "0.005", "9999999999999999.995", "GBP 1", "1e-9999999"} {
		f.Add(s, int32(2))
	}
	f.Fuzz(func(t *testing.T, s string, scale int32) {
		v, err := ParseDecimal(s, scale)
		if err != nil {
			return
		}
		if v >= 1e18 || v <= -1e18 {
			t.Fatalf("%q -> %d: more than 18 digits", s, v)
		}
		// The unscaled value written back as a decimal parses to itself.
		txt := formatUnscaled(v, scale)
		if v2, err := ParseDecimal(txt, scale); err != nil || v2 != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, txt, v2, err)
		}
		// Whatever ParseInt accepts, ParseDecimal at scale 0 agrees with.
		if n, err := ParseInt(s); err == nil && scale == 0 && n != v {
			t.Fatalf("%q: ParseInt %d, ParseDecimal %d", s, n, v)
		}
	})
}

func formatUnscaled(v int64, scale int32) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	s := strconv.FormatUint(u, 10)
	if scale > 0 {
		for len(s) <= int(scale) {
			s = "0" + s
		}
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"24/12/2010", "15-Jun-2012", "20-Jun-13", "2022-04-01", "20231204", "18-01-2018", "2019-04-01T10:11:12+01:00", "29/02/2019", "1/4/2010"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s, nil)
		if err != nil {
			return
		}
		if d.Year() < 1900 || d.Year() > 2100 || d.Hour() != 0 || d.Minute() != 0 || d.Nanosecond() != 0 || d.Location().String() != "UTC" {
			t.Fatalf("%q -> %v", s, d)
		}
		for _, l := range []string{"02/01/2006", "2006-01-02", "02-Jan-2006"} {
			d2, err := ParseDate(d.Format(l), nil)
			if err != nil || !d2.Equal(d) {
				t.Fatalf("%q -> %v -> %q -> %v, %v", s, d, d.Format(l), d2, err)
			}
		}
	})
}

// BenchmarkCSVReader reads a generated 1M-row clean CSV (date dd/mm/yyyy,
// int, decimal, four text columns) and reports MB/s.
func BenchmarkCSVReader(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "date,n,amount,code,name,service,supplier")
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(w, "%02d/%02d/20%02d,%d,%d.%02d,E01%06d,Name %d,Adults and Health,Supplier %d Ltd\n",
			i%28+1, i%12+1, i%25, i, i%100000, i%100, i%40000, i%977, i%5003)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	spec := FileSpec{Kind: "bench", Columns: []Column{
		{Name: "date", Type: Date, Required: true},
		{Name: "n", Type: Int},
		{Name: "amount", Type: Decimal, Scale: 2},
		{Name: "code"}, {Name: "name"}, {Name: "service"}, {Name: "supplier"},
	}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rd, err := NewCSVReader(bytes.NewReader(data), "bench.csv", spec)
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for rd.Next() {
			rows += int(rd.RecordBatch().NumRows())
		}
		if rd.Err() != nil || rows != 1_000_000 || rd.Stats().Rejected != 0 {
			b.Fatalf("rows %d err %v stats %+v", rows, rd.Err(), rd.Stats())
		}
		rd.Release()
	}
	b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "rows/s")
}
