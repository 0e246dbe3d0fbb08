//go:build ignore

// gen writes the CSV test fixtures in this directory. They are small,
// hand-made files that reproduce the quirks of real council files (no real
// data is copied). Run from ingest/format: go run ./testdata/csv/gen.go
package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"log"
	"os"
	"path/filepath"
	"time"
)

const dir = "testdata/csv"

var stamp = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func gz(b []byte, name string) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Name = name
	w.ModTime = stamp
	if _, err := w.Write(b); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func main() {
	bom := "\xEF\xBB\xBF"
	write("bom.csv", []byte(bom+"Code,Name,Amount,Paid\r\n"+
		"E01000001,Alpha,\"£1,234.56\",24/12/2010\r\n"+
		"E01000002,Beta,1616.23 ,15-Jun-2012\r\n"))
	write("double_bom.csv", []byte("\xC3\xAF\xC2\xBB\xC2\xBFBody Name,Net Amount\n"+
		"Manchester City Council,12.50\n"+
		"Manchester City Council,(3.00)\n"))
	write("cp1252.csv", []byte("Supplier,Amount,Note\r\n"+
		"WOMEN\xBFS AID\xA0,\xA3500.00,It\x92s done\r\n"+
		"CAF\xC9 LTD,600,\x93quoted\x94\r\n"))
	write("c1_mojibake.csv", []byte("Supplier,Note\n"+
		"A,It\xC2\x92s\n"+
		"B,x \xC2\x96 y\n"))
	write("thousands.csv", []byte("LSOA code (2011),IMD Rank,Decile\n"+
		"E01000001,\"29,199\",9\n"+
		"E01000002,\"1,296\",1\n"+
		"E01000003,\"32,844\",10\n"+
		"E01000004,\"12,34\",3\n"))
	write("na.csv", []byte("code,value,score\n"+
		"a,NA,1.5\n"+
		"b,,2.5\n"+
		"c,12,NA\n"+
		"d,n/a,\n"))
	write("crlf.csv", []byte("a,b\r\n1,x\r\n2,y\r\n"))
	write("lf_no_final_newline.csv", []byte("a,b\n1,x\n2,y"))
	write("quoted_newlines.csv", []byte("Name,Opening times,Postcode\r\n"+
		"Food Bank A,\"Mon 10-12\nTue 1-3\",M1 1AA\r\n"+
		"Pantry B,Wed,M2 2BB\n"+
		"\"Club \"\"C\"\"\",\"Thu\r\n\r\nFri\",M3 3CC\r\n"+
		"D,Sat,M4 4DD"))
	write("headerless.csv", []byte(
		"\"Z99001\",\"EXAMPLE SURGERY\",\"19740401\",\"\",\"A\",\"4\"\n"+
			"\"Z99002\",\"SAMPLE MEDICAL CENTRE\",\"19740401\",\"20200331\",\"C\",\"4\"\n"+
			"\"Z99003\",\"BAD DATE PRACTICE\",\"19741301\",\"\",\"A\",\"4\"\n"+
			"\"Z99004\",\"SHORT ROW\",\"19740401\",\"\"\n"+
			"\"Y00001\",\"OUT OF HOURS\",\"20231204\",\"\",\"A\",\"\"\n"))
	write("ragged.csv", []byte("a,b,c,d\n"+
		"1,2,3,4\n"+
		"5\n"+
		"6,7,8,9,10\n"+
		"11,12,13,14,,\n"+
		"15,16,17\n"))
	write("trailing_empty_cols.csv", []byte("Body,Body name,Net amount,,,,\r\n"+
		"X1,Leeds,10.00 ,,,,\r\n"+
		"X2,Leeds,20.5,,,,\r\n"+
		"X3,Leeds,30,,,\r\n"))
	write("blank_lines.csv", []byte("\nid,val\n1,a\n\n,,\n2,b\n   \n3,c\n\n\n"))
	write("title_block.csv", []byte("Leeds City Council spending over £500,,,\r\n"+
		"Period: December 2010,,,\r\n"+
		",,,\r\n"+
		"Body name,Date paid,Net amount,Supplier name\r\n"+
		"Leeds,01/12/2010,1616.23 ,ACME LTD\r\n"))
	write("excel_damaged.csv", []byte(bom+"LSOA code (2011),Rank,Score,Date\r\n"+
		"E01000001,\"29,199\",1.5,24/12/2010\r\n"+
		"E01000002,1.23E+05,2.5,2022-04-01\r\n"+
		"E01000003,######,3.5,01/01/2020\r\n"+
		"E01000004,1.234567E+02,4,01/01/2020\r\n"+
		"E01000005,\"1,234\",#VALUE!,01/01/2020\r\n"+
		"E01000006,7,8,43831\r\n"+
		"E01000007,\"1,000\",1e3,31/12/2019"))

	// Containers.
	iod := []byte(bom + "LSOA code (2011),LSOA name (2011),Index of Multiple Deprivation (IMD) Rank\r\n" +
		"E01900001,Exampleton 001A,\"12,345\"\r\n" +
		"E01900002,Exampleton 001B,\"23,456\"\r\n" +
		"E01900003,Exampleton 001C,\"7,890\"")
	iodGz := gz(iod, "iod_like.csv")
	write("iod_like.csv.gz", iodGz)
	write("gzip_without_extension.dat", iodGz)
	write("truncated.csv.gz", iodGz[:len(iodGz)/2])
	write("not_really.csv.gz", []byte("a,b\n1,2\n"))

	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	add := func(name string, b []byte, method uint16) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: stamp})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			log.Fatal(err)
		}
	}
	add("b.csv", []byte("a,b\n3,4\n"), zip.Deflate)
	add("a.csv", []byte("a,b\n1,2\n"), zip.Deflate)
	add("sub/", nil, zip.Store)
	add("sub/c.csv.gz", gz([]byte("a,b\n5,6\n"), "c.csv"), zip.Store)
	add("__MACOSX/._a.csv", []byte("\x00\x05\x16\x07junk"), zip.Deflate)
	add(".DS_Store", []byte("junk"), zip.Store)
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	write("bundle.zip", zbuf.Bytes())
	write("truncated.zip", zbuf.Bytes()[:zbuf.Len()/2])
	write("empty.csv", nil)
}
