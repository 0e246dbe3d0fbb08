package format

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// giving360Spec is a spec over every column the path table knows, with the
// types the grants dataset uses, plus the file, line and raw columns.
func giving360Spec() FileSpec {
	var cols []Column
	for _, name := range Giving360Columns() {
		c := Column{Name: name, Aliases: []string{name}}
		switch name {
		case "identifier":
			c.Required, c.NotNull = true, true
		case "amount_awarded", "amount_applied_for", "amount_disbursed":
			c.Type, c.Scale = Decimal, 2
		case "award_date", "planned_start_date", "planned_end_date":
			c.Type = Date
		case "planned_duration_months":
			c.Type = Int
		}
		cols = append(cols, c)
	}
	return FileSpec{Kind: "grants", Giving360: true, Columns: cols, FileColumn: "file", LineColumn: "line", RawColumn: "raw"}
}

// A hand-made package: members before and after the grants list, a BOM,
// numbers where strings are usual, several beneficiary locations, lists
// given as single objects, and grants to reject.
const giving360Fixture = "\xEF\xBB\xBF" + `{
  "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
  "publisher": {"name": "Exampleton Council", "prefix": "360G-exc"},
  "grants": [
    {
      "id": "360G-exc-001",
      "title": "Grant to Exampleton Allotments",
      "description": "  Raised beds\u00a0",
      "currency": "GBP",
      "amountAppliedFor": 1500,
      "amountAwarded": 1234.565,
      "amountDisbursed": 1e3,
      "awardDate": "2021-04-01T10:00:00+01:00",
      "plannedDates": [{"startDate": "2021-05-01", "endDate": "2022-04-30", "duration": 12}],
      "recipientOrganization": [{"id": "GB-CHC-0123456", "name": "Exampleton Allotments", "charityNumber": "0123456",
                                 "companyNumber": "00738693", "postalCode": "EX1 1AA"},
                                {"id": "GB-COH-1", "name": "Second recipient ignored"}],
      "beneficiaryLocation": [{"name": "Somewhere", "geoCodeType": "WD"},
                              {"name": "Old Trafford", "geoCode": "E05015253", "geoCodeType": "WD"},
                              {"name": "Trafford", "geoCode": "E08000009", "geoCodeType": "MD"}],
      "fundingOrganization": [{"id": "GB-LAE-EXC", "name": "Exampleton Council", "department": "Communities"}],
      "grantProgramme": [{"code": "CG", "title": "Community Grants"}],
      "dateModified": "2022-05-03T18:09:56Z",
      "dataSource": "https://example.org/"
    },
    {
      "id": 2,
      "title": "Lists given as objects",
      "currency": "GBP",
      "amountAwarded": "£2,000",
      "awardDate": "01/02/2020",
      "recipientOrganization": {"id": "X-2", "name": "Solo", "charityNumber": 501234},
      "beneficiaryLocation": [{"name": "No code anywhere"}],
      "fundingOrganization": {"id": "GB-LAE-EXC", "name": "Exampleton Council"},
      "unknownMember": {"deep": [1, 2, {"x": null}]}
    },
    "not a grant",
    {"id": "360G-exc-004", "amountAwarded": "lots", "awardDate": "2020-01-01"},
    {"id": null, "amountAwarded": 5, "awardDate": "2020-01-01"},
    {"id": "360G-exc-006", "amountAwarded": 5, "awardDate": "2020-01-01", "recipientOrganization": "A string"},
    {"id": "360G-exc-007", "title": {"en": "An object"}, "amountAwarded": 5, "awardDate": "2020-01-01"},
    {"id": "360G-exc-008", "amountAwarded": -12.5, "awardDate": "2020-01-02", "beneficiaryLocation": [], "grantProgramme": null}
  ],
  "extensions": ["after the grants"]
}
`

type giving360Row map[string]string

// readGiving360 reads every batch and returns rows keyed by column name (values as
// Arrow's ValueStr, so decimals lose trailing zeros; "(null)" for null).
func readGiving360(t *testing.T, rd *Giving360Reader) []giving360Row {
	t.Helper()
	var rows []giving360Row
	for rd.Next() {
		rec := rd.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := giving360Row{}
			for j, f := range rec.Schema().Fields() {
				col := rec.Column(j)
				if col.IsNull(i) {
					row[f.Name] = "(null)"
				} else {
					row[f.Name] = strings.Clone(col.ValueStr(i)) // the batch's memory is reused
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func TestGiving360Reader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rd, err := New360GivingReader(strings.NewReader(giving360Fixture), "exc.json", giving360Spec(), WithAllocator(mem), WithChunkSize(2))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rows := readGiving360(t, rd)
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %v", len(rows), rows)
	}
	first := giving360Row{
		"identifier": "360G-exc-001", "title": "Grant to Exampleton Allotments",
		"description": "Raised beds", // trimmed, NBSP included
		"currency":    "GBP", "amount_applied_for": "1500",
		"amount_awarded":     "1234.57", // three places rounded half away from zero
		"amount_disbursed":   "1000",    // 1e3 as written
		"award_date":         "2021-04-01",
		"planned_start_date": "2021-05-01", "planned_end_date": "2022-04-30", "planned_duration_months": "12",
		"recipient_org_id": "GB-CHC-0123456", "recipient_org_name": "Exampleton Allotments",
		"recipient_charity_number": "0123456", "recipient_company_number": "00738693", "recipient_postcode": "EX1 1AA",
		// The first location with a geoCode, all three columns from it.
		"beneficiary_location_name": "Old Trafford", "beneficiary_code": "E05015253", "beneficiary_code_type": "WD",
		"funding_org_id": "GB-LAE-EXC", "funding_org_name": "Exampleton Council", "funding_org_department": "Communities",
		"programme_code": "CG", "programme": "Community Grants",
		"date_modified": "2022-05-03T18:09:56Z", "data_source": "https://example.org/",
		"file": "exc.json", "line": "1",
	}
	for k, v := range first {
		if rows[0][k] != v {
			t.Errorf("grant 1 %s = %q, want %q", k, rows[0][k], v)
		}
	}
	if raw := rows[0]["raw"]; !strings.HasPrefix(raw, `{"amountAppliedFor":1500,"amountAwarded":1234.565,`) {
		t.Errorf("raw = %.80s", raw)
	}
	second := giving360Row{
		"identifier": "2", "amount_awarded": "2000", "award_date": "2020-02-01",
		"recipient_org_name": "Solo", "recipient_charity_number": "501234", "recipient_company_number": "(null)",
		// No location has a code: the first one is taken.
		"beneficiary_location_name": "No code anywhere", "beneficiary_code": "(null)",
		"funding_org_name": "Exampleton Council", "description": "(null)", "line": "2",
	}
	for k, v := range second {
		if rows[1][k] != v {
			t.Errorf("grant 2 %s = %q, want %q", k, rows[1][k], v)
		}
	}
	third := giving360Row{"identifier": "360G-exc-008", "amount_awarded": "-12.5", "beneficiary_location_name": "(null)", "programme": "(null)", "line": "8"}
	for k, v := range third {
		if rows[2][k] != v {
			t.Errorf("grant 8 %s = %q, want %q", k, rows[2][k], v)
		}
	}

	wantRejects := []string{
		`exc.json line 3: grant is a string, not an object`,
		`exc.json line 4 column "amountAwarded": not a decimal number (value "lots")`,
		`exc.json line 5 column "id": required value is empty (value "")`,
		`exc.json line 6 column "recipientOrganization[0].id": recipientOrganization is a string, not a list (value "\"A string\"")`,
		`exc.json line 7 column "title": title is an object, not a single value (value "{\"en\":\"An object\"}")`,
	}
	var got []string
	for _, r := range rd.Rejects() {
		got = append(got, r.String())
	}
	if strings.Join(got, "\n") != strings.Join(wantRejects, "\n") {
		t.Errorf("rejects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRejects, "\n"))
	}
	if s := rd.Stats(); s.DataLines != 8 || s.Rows != 3 || s.Rejected != 5 || s.Encoding != "utf-8 (BOM)" {
		t.Errorf("stats %+v", s)
	}
}

// The same package read one byte at a time, and in one chunk, gives the
// same rows.
func TestGiving360ReaderStreams(t *testing.T) {
	spec := giving360Spec()
	read := func(rd *Giving360Reader, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Release()
		rows := readGiving360(t, rd)
		if rd.Err() != nil {
			t.Fatal(rd.Err())
		}
		return fmt.Sprint(rows)
	}
	a := read(New360GivingReader(iotest.OneByteReader(strings.NewReader(giving360Fixture)), "exc.json", spec, WithChunkSize(1)))
	b := read(New360GivingReader(strings.NewReader(giving360Fixture), "exc.json", spec))
	if a != b {
		t.Errorf("one byte at a time:\n%s\nall at once:\n%s", a, b)
	}
}

func TestGiving360ReaderFileErrors(t *testing.T) {
	spec := giving360Spec()
	cut := strings.Index(giving360Fixture, `"not a grant"`)
	for _, c := range []struct {
		name, in, want string
		atOpen         bool
		rowsBefore     int
	}{
		{"empty", "", "exc.json: not a 360Giving JSON file: the file is empty", true, 0},
		{"csv", "Identifier,Title\n", "exc.json: not a 360Giving JSON file: invalid character 'I' looking for beginning of value", true, 0},
		{"array", `[{"id": "x"}]`, `exc.json: not a 360Giving data package: the top level is a list, not an object with a "grants" list`, true, 0},
		{"geojson", `{"type": "FeatureCollection", "features": []}`, `exc.json: not a 360Giving data package: no top-level "grants" list (members: "features", "type")`, true, 0},
		{"grants not a list", `{"grants": {"id": "x"}}`, `exc.json: "grants" is an object, not a list`, true, 0},
		{"truncated in a member", `{"publisher": {"name": "Exa`, `exc.json: truncated: the file ends in the top-level member "publisher"`, true, 0},
		{"truncated", giving360Fixture[:cut+3], "exc.json: truncated: the file ends inside grant 3", false, 2},
		{"truncated after the list", `{"grants": [{"id": "a", "amountAwarded": 1, "awardDate": "2020-01-01"}]`, "exc.json: truncated: the file ends before the end of the top-level object", false, 1},
		{"bad syntax", `{"grants": [{"id": "a", "amountAwarded": 1,, }]}`, "exc.json: malformed JSON inside grant 1: invalid character ',' looking for beginning of object key string", false, 0},
		{"second grants", `{"grants": [], "grants": []}`, `exc.json: a second top-level "grants" member`, false, 0},
		{"trailing data", `{"grants": []} {}`, "exc.json: data after the top-level object: {", false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rd, err := New360GivingReader(strings.NewReader(c.in), "exc.json", spec, WithAllocator(mem))
			if c.atOpen {
				var pe *ParseError
				if rd != nil || !errors.As(err, &pe) || err.Error() != c.want {
					t.Fatalf("got %v (%T), want %q", err, err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Release()
			readGiving360(t, rd)
			var pe *ParseError
			if err := rd.Err(); !errors.As(err, &pe) || err.Error() != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if s := rd.Stats(); s.Rows != c.rowsBefore {
				t.Errorf("rows read before the failure %d, want %d", s.Rows, c.rowsBefore)
			}
		})
	}
}

func TestGiving360ReaderUnknownColumn(t *testing.T) {
	spec := FileSpec{Kind: "g", Columns: []Column{{Name: "identifier"}, {Name: "recipient_shoe_size"}}}
	_, err := New360GivingReader(strings.NewReader(`{"grants": []}`), "g.json", spec)
	if err == nil || !strings.Contains(err.Error(), `column "recipient_shoe_size" has no JSON path`) {
		t.Fatalf("got %v", err)
	}
}

func TestGiving360PathTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range giving360Paths {
		if seen[p.column] {
			t.Errorf("column %s twice", p.column)
		}
		seen[p.column] = true
		if _, err := parseJSONPath(p.path); err != nil {
			t.Error(err)
		}
		if Giving360Path(p.column) != p.path {
			t.Errorf("Giving360Path(%s) = %q", p.column, Giving360Path(p.column))
		}
	}
	for _, bad := range []string{"", "a..b", "a[", "[0]", "a[-1]", "a[x y]", "a[]"} {
		if _, err := parseJSONPath(bad); err == nil {
			t.Errorf("parseJSONPath(%q) accepted", bad)
		}
	}
}

func TestLooksLikeJSONObject(t *testing.T) {
	for in, want := range map[string]bool{
		`{"grants": []}`: true, "\xEF\xBB\xBF \r\n\t{": true, "\xC3\xAF\xC2\xBB\xC2\xBF{": true,
		"Identifier,Title": false, "[{}]": false, "": false, "   ": false, "\xEF\xBB\xBF": false,
	} {
		if got := LooksLikeJSONObject([]byte(in)); got != want {
			t.Errorf("LooksLikeJSONObject(%q) = %v", in, got)
		}
	}
}

func Fuzz360GivingReader(f *testing.F) {
	f.Add([]byte(giving360Fixture))
	f.Add([]byte(`{"grants": [{"id": "a", "amountAwarded": 1, "awardDate": "2020-01-01"}]}`))
	f.Add([]byte(`{"a": [1, {"b": null}], "grants": [null, [], {"beneficiaryLocation": {"geoCode": 5}}], "z": 1}`))
	f.Add([]byte(`{"grants": [{"recipientOrganization": [[{"name": "x"}]], "plannedDates": [{"duration": 1.5}]}]`))
	f.Add([]byte("\xFF\xFE{\x00}\x00"))
	spec := giving360Spec()
	spec.Columns[0].Pattern = regexp.MustCompile(`^[0-9A-Za-z-]+$`)
	f.Fuzz(func(t *testing.T, in []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rd, err := New360GivingReader(bytes.NewReader(in), "f.json", spec, WithAllocator(mem), WithChunkSize(2), WithMaxRejects(1))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v", err, err)
			}
			mem.AssertSize(t, 0)
			return
		}
		rows := 0
		for rd.Next() {
			rec := rd.RecordBatch()
			if n := int(rec.NumRows()); n == 0 || n > 2 {
				t.Fatalf("batch of %d rows", n)
			}
			rows += int(rec.NumRows())
			if _, ok := any(rec.Column(0)).(*array.String); !ok {
				t.Fatalf("identifier column is %T", rec.Column(0))
			}
		}
		if err := rd.Err(); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Err %T %v", err, err)
			}
		}
		s := rd.Stats()
		if s.DataLines != s.Rows+s.Rejected || (rd.Err() == nil && s.Rows != rows) || len(rd.Rejects()) != min(1, s.Rejected) {
			t.Fatalf("stats %+v, rows %d, rejects %d, err %v", s, rows, len(rd.Rejects()), rd.Err())
		}
		rd.Release()
		mem.AssertSize(t, 0)
	})
}
