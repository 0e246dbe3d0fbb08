package format

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func iodSpecs() []FileSpec {
	file1 := FileSpec{Kind: "file1", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true},
		{Name: "imd_rank", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Rank"}, Required: true},
		{Name: "imd_decile", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Decile"}},
	}}
	file2 := FileSpec{Kind: "file2", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true},
		{Name: "imd_rank", Type: Int, Aliases: []string{"Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"}, Required: true},
		{Name: "income_rank", Type: Int, Aliases: []string{"Income Rank (where 1 is most deprived)"}, Required: true},
	}}
	// loose matches any file with an LSOA code: file1 must win by more columns.
	loose := FileSpec{Kind: "loose", Columns: []Column{
		{Name: "lsoa_code", Aliases: []string{"LSOA code (2011)"}, Required: true},
	}}
	gp := headerlessSpec()
	return []FileSpec{loose, file2, file1, gp}
}

func TestIdentify(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"file1 with BOM", "\xEF\xBB\xBFLSOA code (2011),LSOA name (2011),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\r\nE01,x,\"1,2\",1\r\n", "file1"},
		{"file2", "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived),Income Rank (where 1 is most deprived)\n", "file2"},
		{"loose", "lsoa_code_2011,other\n", "loose"},
		{"headerless", "\"Z99001\",\"EXAMPLE SURGERY\",\"19740401\",\"\",\"A\",\"4\",\"\"\n", "epraccur"},
		{"blank lines first", "\n\r\n,,\nLSOA code (2011),IMD Rank\n", "loose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Identify(strings.NewReader(tt.in), "f.csv", iodSpecs())
			if err != nil || spec.Kind != tt.want {
				t.Fatalf("got %q, %v; want %q", spec.Kind, err, tt.want)
			}
		})
	}
}

func TestIdentifyFailure(t *testing.T) {
	specs := iodSpecs()[1:3] // file2, file1
	_, err := Identify(strings.NewReader("a,b,c\n1,2,3\n"), "f.csv", specs)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "f.csv" {
		t.Fatalf("err = %v", err)
	}
	want := `f.csv: no file kind matches header [a b c]: kind "file2" needs "LSOA code (2011)", ` +
		`"Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)", "Income Rank (where 1 is most deprived)"; ` +
		`kind "file1" needs "LSOA code (2011)", "Index of Multiple Deprivation (IMD) Rank"`
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}

	_, err = Identify(strings.NewReader("LSOA code (2011),Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)\n"), "f.csv", specs[:1])
	if err == nil || !strings.HasSuffix(err.Error(), `kind "file2" needs "Income Rank (where 1 is most deprived)"`) {
		t.Errorf("err = %v", err)
	}

	// A headerless spec does not take a file whose first line is too short or is a header.
	gp := headerlessSpec()
	gp.Columns[0].Aliases = []string{"Organisation code"}
	_, err = Identify(strings.NewReader("a,b\n"), "f.csv", []FileSpec{gp})
	if err == nil || !strings.Contains(err.Error(), `kind "epraccur" (headerless) needs at least 6 fields, found 2`) {
		t.Errorf("err = %v", err)
	}
	_, err = Identify(strings.NewReader("Organisation code,b,c,d,e,f\n"), "f.csv", []FileSpec{gp})
	if err == nil || !strings.Contains(err.Error(), `found header text "Organisation code"`) {
		t.Errorf("err = %v", err)
	}
	_, err = Identify(strings.NewReader(""), "f.csv", []FileSpec{gp})
	if err == nil {
		t.Error("empty input identified")
	}
}

func TestIdentifyHeaderSearch(t *testing.T) {
	spec := leedsSpec(5)
	f, err := os.Open(fixture("title_block.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Identify(f, "title_block.csv", []FileSpec{leedsSpec(0), headerlessSpec(), spec})
	if err != nil || got.HeaderSearch != 5 {
		t.Fatalf("got %+v, %v", got.Kind, err)
	}
}

func TestReadHeader(t *testing.T) {
	got, err := ReadHeader(strings.NewReader("\xC3\xAF\xC2\xBB\xC2\xBF\n,,\n\"Body Name\",Net\xA0Amount\r\n1,2\n"))
	if err != nil || !reflect.DeepEqual(got, []string{"Body Name", "Net\u00a0Amount"}) {
		t.Fatalf("%q %v", got, err)
	}
	got, err = ReadHeader(strings.NewReader("\n\n"))
	if err != nil || got != nil {
		t.Fatalf("%q %v", got, err)
	}
}
