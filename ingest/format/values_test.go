package format

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"0", 0, ""},
		{"1240", 1240, ""},
		{"29,199", 29199, ""},
		{"1,296", 1296, ""},
		{"1,632", 1632, ""},
		{"1,234,567", 1234567, ""},
		{" 42 ", 42, ""},
		{"\u00a042\u00a0", 42, ""},
		{"+5", 5, ""},
		{"-17", -17, ""},
		{"-1,000", -1000, ""},
		{"007", 7, ""},
		{"1.0", 1, ""},
		{"1.23E+05", 123000, ""},
		{"1.23e5", 123000, ""},
		{"1E3", 1000, ""},
		{"9223372036854775807", math.MaxInt64, ""},
		{"-9223372036854775808", math.MinInt64, ""},
		{"9223372036854775808", 0, "integer out of range"},
		{"99999999999999999999", 0, "integer out of range"},
		{"1e30", 0, "integer out of range"},
		{"1.5", 0, "not an integer"},
		{"1.2345E+03", 0, "not an integer"},
		{"abc", 0, "not an integer"},
		{"", 0, "not an integer"},
		{"NA", 0, "not an integer"},
		{"######", 0, "not an integer"},
		{"1 632", 0, "not an integer"},
		{"12,34", 0, "not an integer"},
		{"1234,567", 0, "not an integer"},
		{"1,2345", 0, "not an integer"},
		{",123", 0, "not an integer"},
		{"1,", 0, "not an integer"},
		{"--1", 0, "not an integer"},
		{"0x10", 0, "not an integer"},
		{"1_000", 0, "not an integer"},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseInt(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFloat(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1,234.5", 1234.5, true},
		{"-0.123", -0.123, true},
		{"1e3", 1000, true},
		{"1.23E+05", 123000, true},
		{" 3.5 ", 3.5, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"+2", 2, true},
		{"0.0000000001", 1e-10, true},
		{"NaN", 0, false},
		{"nan", 0, false},
		{"Inf", 0, false},
		{"-Infinity", 0, false},
		{"1e400", 0, false},
		{"0x1p-2", 0, false},
		{"1_0", 0, false},
		{"", 0, false},
		{".", 0, false},
		{"1,23.5", 0, false},
		{"abc", 0, false},
		{"1.2.3", 0, false},
		{"1e", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseFloat(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in    string
		scale int32
		want  int64
		ok    bool
	}{
		{"£1,234.56", 2, 123456, true},
		{"1616.23 ", 2, 161623, true},
		{"1240", 2, 124000, true},
		{"(12.50)", 2, -1250, true},
		{"(1,234.56)", 2, -123456, true},
		{"-£5", 2, -500, true},
		{"-£5.00", 2, -500, true},
		{"£-5.00", 2, -500, true},
		{"5.00-", 2, -500, true},
		{"£ 5.00", 2, 500, true},
		{"- 5.00", 2, -500, true},
		{"GBP 12.30", 2, 1230, true},
		{"gbp12.3", 2, 1230, true},
		{"+7.1", 2, 710, true},
		{"0.125", 2, 13, true},   // half away from zero
		{"-0.125", 2, -13, true}, // half away from zero
		{"0.124", 2, 12, true},
		{"1.005", 2, 101, true},
		{"9.999", 2, 1000, true},
		{"0.004", 2, 0, true},
		{"0.0049", 2, 0, true},
		{"0.005", 2, 1, true},
		{".5", 2, 50, true},
		{"0", 2, 0, true},
		{"-0.00", 2, 0, true},
		{"\u00a0£12.00\u00a0", 2, 1200, true},
		{"1.23E+05", 2, 12300000, true},
		{"123.456", 3, 123456, true},
		{"12", 0, 12, true},
		{"12.5", 0, 13, true},
		{"9999999999999999.99", 2, 999999999999999999, true},
		{"99999999999999999.99", 2, 0, false}, // 19 digits
		{"9999999999999999.995", 2, 0, false}, // rounds up to 19 digits
		{"1e400", 2, 0, false},
		{"", 2, 0, false},
		{"£", 2, 0, false},
		{"-", 2, 0, false},
		{"abc", 2, 0, false},
		{"12.5a", 2, 0, false},
		{"1,23.00", 2, 0, false},
		{"--5", 2, 0, false},
		{"(-5)", 2, 0, false},
		{"-5-", 2, 0, false},
		{"££5", 2, 0, false},
		{"$5", 2, 0, false},
		{"NaN", 2, 0, false},
		{"5", 19, 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in, tt.scale)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseDecimal(%q, %d) = %d, %v; want %d ok=%v", tt.in, tt.scale, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseDate(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in      string
		layouts []string
		want    time.Time
		wantErr string
	}{
		{"24/12/2010", nil, d(2010, 12, 24), ""},
		{"1/4/2010", nil, d(2010, 4, 1), ""},
		{"15-Jun-2012", nil, d(2012, 6, 15), ""},
		{"15-JUN-2012", nil, d(2012, 6, 15), ""},
		{"5-jun-2012", nil, d(2012, 6, 5), ""},
		{"20-Jun-13", nil, d(2013, 6, 20), ""},
		{"20-Jun-99", nil, d(2099, 6, 20), ""}, // two-digit years are 20yy
		{"2022-04-01", nil, d(2022, 4, 1), ""},
		{" 2022-04-01 ", nil, d(2022, 4, 1), ""},
		{"20231204", nil, d(2023, 12, 4), ""},
		{"18-01-2018", nil, d(2018, 1, 18), ""},
		{"18.01.2018", nil, d(2018, 1, 18), ""},
		{"01 Apr 2019", nil, d(2019, 4, 1), ""},
		{"1 April 2019", nil, d(2019, 4, 1), ""},
		{"2019-04-01T10:11:12Z", nil, d(2019, 4, 1), ""},
		{"2019-04-01T23:30:00+01:00", nil, d(2019, 4, 1), ""},
		{"2019-04-01T10:11:12", nil, d(2019, 4, 1), ""},
		{"2019-04-01 10:11:12", nil, d(2019, 4, 1), ""},
		{"2019-04-01 10:11:12.123", nil, d(2019, 4, 1), ""},
		{"01/04/2019 10:11", nil, d(2019, 4, 1), ""},
		{"29/02/2020", nil, d(2020, 2, 29), ""},
		{"29/02/2019", nil, time.Time{}, "not a date"},
		{"31/04/2019", nil, time.Time{}, "not a date"},
		{"12/31/2019", nil, time.Time{}, "not a date"}, // US order is not guessed
		{"43466", nil, time.Time{}, "not a date"},      // Excel serial is not guessed
		{"abc", nil, time.Time{}, "not a date (tried yyyy-mm-dd, dd/mm/yyyy, d/m/yyyy, dd-Mon-yyyy"},
		{"", nil, time.Time{}, "not a date"},
		{"01/01/1899", nil, time.Time{}, "date out of range"},
		{"01/01/2101", nil, time.Time{}, "date out of range"},
		{"01/01/1900", nil, d(1900, 1, 1), ""},
		{"31/12/2100", nil, d(2100, 12, 31), ""},
		{"2019/04/01", []string{"2006/01/02"}, d(2019, 4, 1), ""},
		{"01/04/2019", []string{"2006/01/02"}, time.Time{}, "not a date (tried yyyy/mm/dd)"},
		{"04/01/19", []string{"01/02/06"}, d(2019, 4, 1), ""},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in, tt.layouts)
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ParseDate(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// The fast path must agree with time.Parse on every day it accepts.
func TestFastDateAgreesWithTimeParse(t *testing.T) {
	for day := d0(); day.Year() < 2002; day = day.AddDate(0, 0, 1) {
		for _, l := range []string{"02/01/2006", "2006-01-02"} {
			s := day.Format(l)
			got, ok := fastDate(s)
			if !ok || !got.Equal(day) {
				t.Fatalf("fastDate(%q) = %v, %v", s, got, ok)
			}
		}
	}
	for _, s := range []string{"00/01/2000", "32/01/2000", "01/13/2000", "01/00/2000", "2000-02-30", "2000-1-011", "ab/cd/efgh"} {
		if _, ok := fastDate(s); ok {
			t.Errorf("fastDate(%q) accepted", s)
		}
	}
}

func d0() time.Time { return time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "TRUE", "True", "yes", "Y", "y", "1", " yes "} {
		if v, err := ParseBool(s); err != nil || !v {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, err)
		}
	}
	for _, s := range []string{"false", "FALSE", "no", "N", "n", "0"} {
		if v, err := ParseBool(s); err != nil || v {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, err)
		}
	}
	for _, s := range []string{"", "maybe", "2", "t", "-1"} {
		if _, err := ParseBool(s); err == nil {
			t.Errorf("ParseBool(%q) accepted", s)
		}
	}
}

func TestNormalizeHeader(t *testing.T) {
	tests := map[string]string{
		"Net amount":             "netamount",
		"NetAmount":              "netamount",
		"net_amount":             "netamount",
		"Supplier name ":         "suppliername",
		"\ufeffLSOA code (2011)": "lsoacode2011",
		"ï»¿Body Name":           "bodyname",
		"Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": "indexofmultipledeprivationimdrankwhere1ismostdeprived",
		"Amount (£)":     "amount",
		"Café":           "café",
		"ÉTAT":           "état",
		"":               "",
		"  --  ":         "",
		"Date\u00a0Paid": "datepaid",
	}
	for in, want := range tests {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestIsNullToken(t *testing.T) {
	extra := []string{"NA", " n/a", ".."}
	for _, s := range []string{"", "  ", "\u00a0", "NA", " NA ", "n/a", ".."} {
		if !IsNullToken(s, extra) {
			t.Errorf("IsNullToken(%q) = false", s)
		}
	}
	for _, s := range []string{"na", "N/A", "0", "-", "."} {
		if IsNullToken(s, extra) {
			t.Errorf("IsNullToken(%q) = true", s)
		}
	}
	if IsNullToken("NA", nil) {
		t.Error(`IsNullToken("NA", nil) = true`)
	}
}
