package format

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The expected numbers in this file were checked by hand against the real
// files in shared/data with zcat, grep -n, sed -n, wc -l and a Python csv
// count (see the comments at each test). The files are read in place and
// never copied into the repository.

// realData returns the shared data directory or skips the test.
func realData(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(wd, "..", "..", "..", "shared", "data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real data not available at %s: %v", dir, err)
	}
	return dir
}

// realTable is a whole file read through OpenEntries and CSVReader, with rows
// keyed by their first column.
type realTable struct {
	result
	byKey map[string][]any
	cols  map[string]int
}

func readReal(t *testing.T, rel string, spec FileSpec) realTable {
	t.Helper()
	path := filepath.Join(realData(t), rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("missing %s: %v", rel, err)
	}
	entries, err := OpenEntries(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d entries", len(entries))
	}
	rc, err := entries[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	res := readCSV(t, rc, entries[0].Name, spec)
	if res.err != nil {
		t.Fatalf("read %s: %v", rel, res.err)
	}
	tab := realTable{result: res, byKey: map[string][]any{}, cols: map[string]int{}}
	for i, f := range Schema(spec).Fields() {
		tab.cols[f.Name] = i
	}
	for _, row := range res.rows {
		if k, ok := row[0].(string); ok {
			if _, dup := tab.byKey[k]; !dup {
				tab.byKey[k] = row
			}
		}
	}
	return tab
}

func (tab realTable) get(t *testing.T, key, col string) any {
	t.Helper()
	row, ok := tab.byKey[key]
	if !ok {
		t.Fatalf("no row %q", key)
	}
	return row[tab.cols[col]]
}

// sumDecimal adds up a scale-2 Decimal column in pence.
func (tab realTable) sumDecimal(t *testing.T, col string) int64 {
	t.Helper()
	var cents int64
	for _, row := range tab.rows {
		s, _ := row[tab.cols[col]].(string)
		v, err := ParseDecimal(s, 2)
		if err != nil {
			t.Fatalf("sum %s: %q: %v", col, s, err)
		}
		cents += v
	}
	return cents
}

func (tab realTable) count(col string, want any) int {
	n := 0
	for _, row := range tab.rows {
		if row[tab.cols[col]] == want {
			n++
		}
	}
	return n
}

func imdFile1Spec() FileSpec {
	return FileSpec{Kind: "imd2019_file1", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true, NotNull: true, Pattern: regexp.MustCompile(`^E01[0-9]{6}$`)},
		{Name: "lsoa_name", Aliases: []string{"LSOA name (2011)"}},
		{Name: "lad_code", Aliases: []string{"Local Authority District code (2019)"}, Required: true},
		{Name: "lad_name", Aliases: []string{"Local Authority District name (2019)"}},
		{Name: "imd_rank", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Rank"}, Required: true, NotNull: true},
		{Name: "imd_decile", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Decile"}, Required: true, NotNull: true},
	}, LineColumn: "line"}
}

// Both IMD 2019 File 1 variants: 32,844 data rows (zcat | wc -l gives 32,844
// newlines with no final newline, so 32,845 lines with the header).
// Checked with grep -n:
//
//	2:E01000001,City of London 001A,E09000001,City of London,"29,199",9
//	17270:E01017787,Chiltern 005E,E07000005,Chiltern,"32,844",10
//	21402:E01021988,Tendring 018A,E07000076,Tendring,1,1
//	32845:E01033768,Liverpool 037F,E08000012,Liverpool,"1,833",1   (last line, no newline in the .gz)
//
// Decile 1 has 3,284 rows (awk | sort | uniq -c); the ranks sum to
// 539,380,564 (Python csv).
func TestRealIMD2019File1(t *testing.T) {
	for _, tc := range []struct{ rel, enc string }{
		{"deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz", "utf-8 (BOM)"},
		{"deprivation/iod2019/IMD2019_File1_as_saved_by_excel.csv", "utf-8 (BOM)"},
	} {
		t.Run(filepath.Base(tc.rel), func(t *testing.T) {
			tab := readReal(t, tc.rel, imdFile1Spec())
			checkStats(t, tab.result, Stats{DataLines: 32844, Rows: 32844, Encoding: tc.enc})
			for _, c := range []struct {
				code         string
				rank, decile int64
				line         int64
			}{
				{"E01000001", 29199, 9, 2},
				{"E01017787", 32844, 10, 17270},
				{"E01021988", 1, 1, 21402},
				{"E01033768", 1833, 1, 32845},
			} {
				if got := tab.get(t, c.code, "imd_rank"); got != c.rank {
					t.Errorf("%s rank %v, want %d", c.code, got, c.rank)
				}
				if got := tab.get(t, c.code, "imd_decile"); got != c.decile {
					t.Errorf("%s decile %v, want %d", c.code, got, c.decile)
				}
				if got := tab.get(t, c.code, "line"); got != c.line {
					t.Errorf("%s line %v, want %d", c.code, got, c.line)
				}
			}
			if got := tab.get(t, "E01000001", "lsoa_code"); got != "E01000001" {
				t.Errorf("first code %q (BOM not stripped from the header would break mapping)", got)
			}
			if n := tab.count("imd_decile", int64(1)); n != 3284 {
				t.Errorf("decile 1 rows %d, want 3284", n)
			}
			var sum int64
			for _, row := range tab.rows {
				sum += row[tab.cols["imd_rank"]].(int64)
			}
			if sum != 539380564 {
				t.Errorf("rank sum %d, want 539380564", sum)
			}
		})
	}
}

func leeds2020Spec() FileSpec {
	return FileSpec{Kind: "leeds_2020", Columns: []Column{
		{Name: "transaction_number", Aliases: []string{"Transaction Number"}, Required: true},
		{Name: "organisation_code", Aliases: []string{"Organisation Code"}},
		{Name: "payment_date", Type: Date, Aliases: []string{"Payment Date"}, Required: true, NotNull: true},
		{Name: "vat", Type: Decimal, Scale: 2, Aliases: []string{"Irrecoverable VAT Amount"}},
		{Name: "amount", Type: Decimal, Scale: 2, Aliases: []string{"Amount"}, Required: true, NotNull: true},
		{Name: "beneficiary", Aliases: []string{"Beneficiary Name"}, Required: true},
	}, LineColumn: "line"}
}

// Leeds 2020-06 is Windows-1252. Python's csv (encoding cp1252) gives 16,178
// records: the header, 16,176 data rows and a last line of 14 commas, which
// is blank here (the "16,177 rows" in SOURCES.md and DuckDB count it as a
// row of NULLs). The four lines with bytes >= 0x80 (grep -P '[\x80-\xff]')
// are 5171 ("Fylde Coast Women\xBFs Aid"), 5559 and 9956-9957 (trailing 0xA0
// after "Penna Plc"). Amount sums to 104,445,727.45 and the VAT column to 0.00;
// payment dates run from 25/02/2020 to 30/06/2020.
func TestRealLeeds2020Windows1252(t *testing.T) {
	tab := readReal(t, "spending/leeds/leeds_spending_raw_2020-06.csv", leeds2020Spec())
	checkStats(t, tab.result, Stats{DataLines: 16176, Rows: 16176, Blank: 1, Encoding: "windows-1252"})
	byLine := map[int64][]any{}
	for _, row := range tab.rows {
		byLine[row[tab.cols["line"]].(int64)] = row
	}
	if got := byLine[5171][tab.cols["beneficiary"]]; got != "Fylde Coast Women¿s Aid" {
		t.Errorf("line 5171 beneficiary %q", got)
	}
	for _, l := range []int64{9956, 9957} {
		if got := byLine[l][tab.cols["beneficiary"]]; got != "Penna Plc" {
			t.Errorf("line %d beneficiary %q (trailing NBSP should be trimmed)", l, got)
		}
	}
	if got := tab.sumDecimal(t, "amount"); got != 104445727_45 {
		t.Errorf("amount sum %d pence", got)
	}
	if got := tab.sumDecimal(t, "vat"); got != 0 {
		t.Errorf("vat sum %d pence", got)
	}
	minD, maxD := "9999", "0000"
	for _, row := range tab.rows {
		d := row[tab.cols["payment_date"]].(string)
		minD, maxD = min(minD, d), max(maxD, d)
	}
	if minD != "2020-02-25" || maxD != "2020-06-30" {
		t.Errorf("payment dates %s..%s", minD, maxD)
	}
}

// Leeds 2010-12: 10,307 lines (grep -c ”). sed -n '10304,10307p' shows the
// last payment on line 10304, then two lines holding only CR (10305, 10306)
// and ",,,,,,,,," (10307). Those are the "ragged rows" DuckDB reports
// (1, 1 and 10 fields); here they are blank lines, not rejects. Net amounts
// carry a trailing space ("1616.23 ") and sum to 77,179,009.24 (Python csv).
func TestRealLeeds2010Ragged(t *testing.T) {
	spec := FileSpec{Kind: "leeds_2010", Columns: []Column{
		{Name: "transaction_number", Aliases: []string{"Transaction number"}, Required: true, NotNull: true},
		{Name: "body_name", Aliases: []string{"Body name"}, Required: true},
		{Name: "date_paid", Type: Date, Aliases: []string{"Date paid"}, Required: true, NotNull: true},
		{Name: "net_amount", Type: Decimal, Scale: 2, Aliases: []string{"Net amount"}, Required: true, NotNull: true},
		{Name: "supplier_name", Aliases: []string{"Supplier name"}},
	}, LineColumn: "line"}
	tab := readReal(t, "spending/leeds/leeds_spending_raw_2010-12.csv", spec)
	checkStats(t, tab.result, Stats{DataLines: 10303, Rows: 10303, Blank: 3, Encoding: "utf-8"})
	last := tab.rows[len(tab.rows)-1]
	if last[tab.cols["line"]] != int64(10304) || last[tab.cols["transaction_number"]] != "1012-10303" ||
		last[tab.cols["net_amount"]] != "1213.00" || last[tab.cols["date_paid"]] != "2010-12-07" {
		t.Errorf("last row %v", last)
	}
	if got := tab.sumDecimal(t, "net_amount"); got != 77179009_24 {
		t.Errorf("net amount sum %d pence", got)
	}
}

// Manchester 2022-05 starts with C3 AF C2 BB C2 BF (xxd). Python csv gives
// 3,565 records of 7 fields: the header and 3,564 rows; the first row is
// 2022-05-03, 1700133305, -2500; Net Amount sums to 97,400,227.10.
func TestRealManchesterDoubleBOM(t *testing.T) {
	spec := FileSpec{Kind: "manchester", Columns: []Column{
		{Name: "transaction_number", Aliases: []string{"Transaction Number"}, Required: true},
		{Name: "body_name", Aliases: []string{"Body Name"}, Required: true, NotNull: true},
		{Name: "payment_date", Type: Date, Aliases: []string{"Invoice Payment Date"}, Required: true},
		{Name: "net_amount", Type: Decimal, Scale: 2, Aliases: []string{"Net Amount"}, Required: true},
	}}
	tab := readReal(t, "spending/manchester/manchester_spending_odileeds_clean_2022-05.csv", spec)
	checkStats(t, tab.result, Stats{DataLines: 3564, Rows: 3564, Encoding: "utf-8 (double-encoded BOM)"})
	first := tab.rows[0]
	if first[0] != "1700133305" || first[1] != "Manchester City Council" || first[2] != "2022-05-03" || first[3] != "-2500.00" {
		t.Errorf("first row %v", first)
	}
	if got := tab.sumDecimal(t, "net_amount"); got != 97400227_10 {
		t.Errorf("net amount sum %d pence", got)
	}
	// The header reader sees "Body Name", not "ï»¿Body Name".
	f, err := os.Open(filepath.Join(realData(t), "spending/manchester/manchester_spending_odileeds_clean_2022-05.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := ReadHeader(f)
	if err != nil || len(h) != 7 || h[0] != "Body Name" {
		t.Errorf("header %q %v", h, err)
	}
}

// gm_food_banks.csv: wc -l gives 193 newlines and the file has no final
// newline, so 194 lines; 171 end in CRLF; Python csv finds 172 records (171
// rows), 12 with embedded newlines, 5 of them in "Opening times". grep -n: "Lalley Centre" starts on line
// 21, the first "Mustard Tree" on 36, and the last row ("Ashton Churches
// Together (ACT)") on 194.
func TestRealFoodBanksQuotedNewlines(t *testing.T) {
	spec := FileSpec{Kind: "food_banks", Columns: []Column{
		{Name: "name", Aliases: []string{"Name"}, Required: true, NotNull: true},
		{Name: "opening_times", Aliases: []string{"Opening times"}},
		{Name: "postcode", Aliases: []string{"Postcode"}},
		{Name: "area_code", Aliases: []string{"Area code"}, Pattern: regexp.MustCompile(`^E0[68][0-9]{6}$`)},
	}, LineColumn: "line"}
	tab := readReal(t, "services/greater_manchester/gm_food_banks.csv", spec)
	checkStats(t, tab.result, Stats{DataLines: 171, Rows: 171, Encoding: "utf-8"})
	for name, line := range map[string]int64{
		"Lalley Centre, part of Caritas Diocese of Salford": 21,
		"Mustard Tree":                   36,
		"Ashton Churches Together (ACT)": 194,
	} {
		if got := tab.get(t, name, "line"); got != line {
			t.Errorf("%s line %v, want %d", name, got, line)
		}
	}
	mt := tab.get(t, "Mustard Tree", "opening_times").(string)
	if !strings.HasPrefix(mt, "Weekdays and Saturdays 10am-4pm, except Thursdays 10am-12.30pm.\n\nFood Club membership: £2") ||
		!strings.Contains(mt, "‘Approaching Crisis’") || strings.Contains(mt, "\r") {
		t.Errorf("Mustard Tree opening times %q", mt)
	}
	multi := 0
	for _, row := range tab.rows {
		if strings.Contains(row[1].(string), "\n") {
			multi++
		}
	}
	if multi != 5 {
		t.Errorf("%d rows with newlines in opening times", multi)
	}
}

// epraccur.csv has no header: wc -l gives 15,971 lines, all 27 fields (Python
// csv). Status (field 13): A 12,083, C 3,503, D 384, P 1. Prescribing setting
// (field 26) 4 on 8,647 rows. 3,503 rows have a close date (field 12); open
// dates run from 19740401 to 20231204.
func TestRealEpraccurHeaderless(t *testing.T) {
	spec := FileSpec{Kind: "epraccur", Headerless: true, Columns: []Column{
		{Name: "code", Index: 1, NotNull: true, Pattern: regexp.MustCompile(`^[A-Z0-9]{3,6}$`)},
		{Name: "name", Index: 2, NotNull: true},
		{Name: "postcode", Index: 10},
		{Name: "open_date", Type: Date, Index: 11, NotNull: true},
		{Name: "close_date", Type: Date, Index: 12},
		{Name: "status", Index: 13, NotNull: true, Pattern: regexp.MustCompile(`^[ACDP]$`)},
		{Name: "prescribing_setting", Type: Int, Index: 26},
	}, LineColumn: "line"}
	tab := readReal(t, "services/epraccur.csv", spec)
	checkStats(t, tab.result, Stats{DataLines: 15971, Rows: 15971, Encoding: "utf-8"})
	for status, want := range map[string]int{"A": 12083, "C": 3503, "D": 384, "P": 1} {
		if n := tab.count("status", status); n != want {
			t.Errorf("status %s: %d rows, want %d", status, n, want)
		}
	}
	if n := tab.count("prescribing_setting", int64(4)); n != 8647 {
		t.Errorf("setting 4: %d rows", n)
	}
	if n := len(tab.rows) - tab.count("close_date", nil); n != 3503 {
		t.Errorf("closed: %d rows", n)
	}
	a := tab.byKey["A81001"]
	if a[1] != "THE DENSHAM SURGERY" || a[2] != "TS18 1HU" || a[3] != "1974-04-01" || a[4] != nil || a[6] != int64(4) {
		t.Errorf("A81001 = %v", a)
	}
}
