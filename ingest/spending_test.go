package ingest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/demo"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// The spending tests load every council spending file in shared/data and
// check each against what the test reads from the file by itself: data
// lines counted with encoding/csv on the decoded text, and amounts summed
// in pence with the small parser below (not format.ParseDecimal). The rows
// checked by hand were read with grep -n and sed -n; see the comments.

// spendFile is one real spending file and how to read it independently.
type spendFile struct {
	rel    string // under shared/data
	member string // zip member holding the CSV ("" for a plain file)
	amount string // the amount header, exactly as in the file
	cp1252 bool   // Windows-1252 text
	code   string // the council it must be loaded under
}

var spendFiles = []spendFile{
	{"spending/leeds/leeds_spending_raw_2010-12.csv", "", "Net amount", false, "E08000035"},
	{"spending/leeds/leeds_spending_raw_2011-06.csv", "", "Net amount", false, "E08000035"},
	{"spending/leeds/leeds_spending_raw_2012-06.csv", "", "Net amount", false, "E08000035"},
	{"spending/leeds/leeds_spending_raw_2013-06.csv", "", "NetAmount", false, "E08000035"},
	{"spending/leeds/leeds_spending_raw_2020-06.csv", "", "Amount", true, "E08000035"},
	{"spending/manchester/manchester_spending_odileeds_clean_2022-03.csv", "", "Net Amount", false, "E08000003"},
	{"spending/manchester/manchester_spending_odileeds_clean_2022-04.csv", "", "Net Amount", false, "E08000003"},
	{"spending/manchester/manchester_spending_odileeds_clean_2022-05.csv", "", "Net Amount", false, "E08000003"},
	{"spending/trafford/trafford-supplier-spend-2024-25.zip", "trafford-supplier-spend-2024-25.csv", "Amount", false, "E08000009"},
	{"spending/trafford/government_procurement_card_transactions_2024-25.csv", "", "Amount", false, "E08000009"},
	// No column names the council: it needs --council.
	{"spending/north_tyneside/northtyneside_spending_odileeds_clean_2022-07_p.csv", "", "Net Amount", false, "E08000022"},
}

func (f spendFile) name() string {
	if f.member != "" {
		return f.member
	}
	return filepath.Base(f.rel)
}

// truth is what the test finds in a file by itself.
type truth struct {
	lines   int   // data lines: records after the header that have a non-blank field
	pence   int64 // sum of the parseable amounts
	credits int   // negative amounts
	bad     int   // lines whose amount does not parse (must be rejected)
}

// text returns a file's (or zip member's) content as UTF-8 without a BOM.
func (f spendFile) text(t *testing.T, dd string) string {
	t.Helper()
	var b []byte
	var err error
	if f.member == "" {
		b, err = os.ReadFile(filepath.Join(dd, f.rel))
	} else {
		var zr *zip.ReadCloser
		zr, err = zip.OpenReader(filepath.Join(dd, f.rel))
		if err == nil {
			defer zr.Close()
			var rc io.ReadCloser
			rc, err = zr.Open(f.member)
			if err == nil {
				b, err = io.ReadAll(rc)
				rc.Close()
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if f.cp1252 {
		if b, err = charmap.Windows1252.NewDecoder().Bytes(b); err != nil {
			t.Fatal(err)
		}
	} else if !utf8.Valid(b) {
		t.Fatalf("%s is not UTF-8", f.rel)
	}
	b = bytes.TrimPrefix(b, []byte("\xC3\xAF\xC2\xBB\xC2\xBF")) // "ï»¿", a BOM encoded twice
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	return string(b)
}

// readTruth counts data lines and sums the amount column of a file.
func (f spendFile) readTruth(t *testing.T, dd string) truth {
	t.Helper()
	cr := csv.NewReader(strings.NewReader(f.text(t, dd)))
	cr.FieldsPerRecord = -1
	var tr truth
	col := -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", f.rel, err)
		}
		blank := true
		for _, v := range rec {
			if strings.TrimSpace(v) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		if col < 0 {
			for i, h := range rec {
				if strings.TrimSpace(h) == f.amount {
					col = i
				}
			}
			if col < 0 {
				t.Fatalf("%s: no %q in header %q", f.rel, f.amount, rec)
			}
			continue
		}
		tr.lines++
		p, ok := pence(rec[col])
		if !ok {
			tr.bad++
			continue
		}
		tr.pence += p
		if p < 0 {
			tr.credits++
		}
	}
	return tr
}

// pence parses an amount such as "1616.23 ", "-2500", "£1,234.56" or
// "(12.50)" into pence. It is deliberately separate from the code under
// test.
func pence(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	s = strings.NewReplacer("£", "", ",", "", " ", "").Replace(s)
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 {
		return 0, false
	}
	w, err := strconv.ParseUint(whole, 10, 63)
	if err != nil {
		return 0, false
	}
	var fr uint64
	if frac != "" {
		if fr, err = strconv.ParseUint((frac + "0")[:2], 10, 8); err != nil {
			return 0, false
		}
	}
	v := int64(w*100 + fr)
	if neg {
		v = -v
	}
	return v, true
}

// runSpending loads files (relative to the shared data, or absolute) with
// an optional --council.
func (h *harness) runSpending(council string, files ...string) (ingest.Summary, error) {
	ds, err := catalog.ByID("spending")
	if err != nil {
		h.t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(h.dd, f)
		}
		paths = append(paths, f)
	}
	params := map[string]string{}
	if council != "" {
		params["council"] = council
	}
	return h.r.RunWith(h.t.Context(), ds, ingest.Request{Files: paths, Params: params})
}

// Every spending file, each checked against the file itself: data lines =
// loaded + rejected, the total to the penny, the credits, and the council.
func TestSpendingEveryRealFile(t *testing.T) {
	h := newHarness(t)
	var named []string
	for _, f := range spendFiles {
		if f.code != "E08000022" {
			named = append(named, f.rel)
		}
	}
	s, err := h.runSpending("", named...)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Files) != len(named) || len(s.Warnings) != 0 {
		t.Errorf("files %d warnings %v", len(s.Files), s.Warnings)
	}
	if _, err := h.runSpending("E08000022", "spending/north_tyneside/northtyneside_spending_odileeds_clean_2022-07_p.csv"); err != nil {
		t.Fatal(err)
	}
	for _, f := range spendFiles {
		t.Run(f.name(), func(t *testing.T) {
			tr := f.readTruth(t, h.dd)
			// ingest_files of the run that loaded the file.
			var lines, loaded, rejected int64
			if err := h.db.SQL().QueryRowContext(t.Context(), `SELECT f.data_lines, f.rows_loaded, f.rows_rejected FROM ingest_files f
				JOIN ingest_runs r USING (run_id) WHERE r.status = 'ok' AND f.file = ? ORDER BY run_id DESC LIMIT 1`, f.name()).Scan(&lines, &loaded, &rejected); err != nil {
				t.Fatal(err)
			}
			if lines != int64(tr.lines) || loaded+rejected != lines || rejected != int64(tr.bad) {
				t.Errorf("data lines %d (file has %d), loaded %d + rejected %d (want %d bad)", lines, tr.lines, loaded, rejected, tr.bad)
			}
			var rows, pence, credits int64
			var codes string
			if err := h.db.SQL().QueryRowContext(t.Context(), `SELECT count(*), coalesce(sum(amount * 100), 0)::BIGINT, count(*) FILTER (amount < 0),
				string_agg(DISTINCT council_code, ',') FROM spending WHERE source_file = ?`, f.name()).Scan(&rows, &pence, &credits, &codes); err != nil {
				t.Fatal(err)
			}
			if rows != loaded || pence != tr.pence || credits != int64(tr.credits) || codes != f.code {
				t.Errorf("table: %d rows (loaded %d), %d pence (file %d), %d credits (file %d), councils %s (want %s)",
					rows, loaded, pence, tr.pence, credits, tr.credits, codes, f.code)
			}
			if tr.credits == 0 {
				t.Error("every one of these files has credits")
			}
			t.Logf("%d data lines, %d loaded, %d rejected, total £%d.%02d, %d credits", lines, loaded, rejected, tr.pence/100, tr.pence%100, tr.credits)
		})
	}
	h.want(`SELECT count(*) FROM spending WHERE council_code IS NULL OR council_name IS NULL OR payment_date IS NULL OR supplier_name IS NULL OR raw IS NULL`, "0")
	h.want(`SELECT string_agg(DISTINCT council_code || '=' || council_name, ' ' ORDER BY council_code || '=' || council_name) FROM spending`,
		"E08000003=Manchester City Council E08000009=Trafford Council E08000022=North Tyneside Council E08000035=Leeds City Council")

	// Hand-checked rows (sed -n 'Np' on the file): date, supplier, amount
	// and transaction; the 2012 and 2013 files write dates 15-Jun-2012 and
	// 20-Jun-13; the 2011 file's "Body name" is an area, so Leeds is found
	// from the 00DA URI; 2020-06 line 5171 has 0xBF ("Women\xbfs Aid"),
	// 5559 four trailing 0xA0 (NBSP), 9956 one.
	for _, c := range []struct {
		file string
		line int
		want string
	}{
		{"leeds_spending_raw_2010-12.csv", 2, "2010-12-24|A & A ELECTRICAL DISTRIBUTORS LTD|1616.23|1012-00001|Central & Corporate Functions|Operational Materials"},
		{"leeds_spending_raw_2011-06.csv", 2, "2011-06-17|A Andrews & Sons (Marbles & Tiles)|607.20|1106-00001|East - North East|Other Materials"},
		{"leeds_spending_raw_2012-06.csv", 2, "2012-06-15|A & A Electrical Distributors Ltd|580.00|1206-00001|Central & Corporate Functions|Operational Materials"},
		{"leeds_spending_raw_2013-06.csv", 2, "2013-06-20|A J H  Pump Supply & Repair Ltd|1240.00|1306-00001|Central & Corporate|Operational Materials"},
		{"leeds_spending_raw_2020-06.csv", 5171, "2020-06-26|Fylde Coast Women¿s Aid|16.00|2006-05170|Resources and Housing|Other Hired And Contracted Services"},
		{"leeds_spending_raw_2020-06.csv", 5559, "2020-06-10|Hall Plant Hire Limited|257.00|2006-05558|City Development|Plant Hire - By Directorate"},
		{"leeds_spending_raw_2020-06.csv", 9956, "2020-06-26|Penna Plc|6065.07|2006-09955|Adults and Health|Recruitment Advertising"},
		{"manchester_spending_odileeds_clean_2022-05.csv", 2, "2022-05-03|Redacted Personal Information|-2500.00|1700133305|Manchester Leisure|Grant and subscriptions awarded"},
		{"manchester_spending_odileeds_clean_2022-03.csv", 1787, "2022-03-16|Manchester’s Got Talent Communities|1000.00|1907573315|Manchester Leisure|Grant and subscriptions awarded"},
		{"manchester_spending_odileeds_clean_2022-03.csv", 545, "2022-03-07|Council of Europe – Secretariat Gen|4193.93|1907565243|Manchester Leisure|Grant Payments"},
		{"northtyneside_spending_odileeds_clean_2022-07_p.csv", 2, "2022-07-29|SOLO PRESS|146.98|7014096|Health, Education, Care and Safeguarding|Miscellaneous Expenses"},
		{"trafford-supplier-spend-2024-25.csv", 3, "2025-03-31|UPS Building & Maintenance Limited|-195.75|1700078619|FI:Cash Disc Taken|CASH DISCOUNT TAKEN - 5100483333"},
		{"trafford-supplier-spend-2024-25.csv", 11339, "2025-03-20|Amey LG Ltd|3045.86|5100480987|OTP: Recycling Inits|OTHER MISC EXPENSES - TRO’s at 7 sites due to access issues"},
		{"government_procurement_card_transactions_2024-25.csv", 2, "2025-03-28|Ralph Livesey Ltd|313.40||Navigation|Purchase Ralph Livesey Ltd for catering provisions"},
	} {
		h.want(`SELECT payment_date || '|' || supplier_name || '|' || amount || '|' || coalesce(transaction_id, '') || '|' || service_area || '|' || expense_type
			FROM spending WHERE source_file = ? AND source_line = ?`, c.want, c.file, c.line)
	}
	// Supplier references where the file has them.
	h.want(`SELECT supplier_id FROM spending WHERE source_file = 'northtyneside_spending_odileeds_clean_2022-07_p.csv' AND source_line = 2`, "393572")
	h.want(`SELECT supplier_id FROM spending WHERE source_file = 'trafford-supplier-spend-2024-25.csv' AND source_line = 3`, "4600")

	// raw is the original line: compare with the file's own lines.
	for _, f := range []spendFile{spendFiles[0], spendFiles[10]} {
		lines := strings.Split(f.text(t, h.dd), "\n")
		for _, n := range []int{2, 100} {
			h.want(`SELECT raw FROM spending WHERE source_file = ? AND source_line = ?`, strings.TrimSuffix(lines[n-1], "\r"), f.name(), n)
		}
	}
	// Encodings as found: Windows-1252 Leeds 2020, Manchester's BOM written
	// twice (its "ï»¿Body Name" header was still recognised: every row has
	// Manchester from that column), C1 mojibake repaired.
	h.want(`SELECT string_agg(file || ':' || encoding, ' ' ORDER BY file) FROM ingest_files WHERE file IN
		('leeds_spending_raw_2020-06.csv', 'manchester_spending_odileeds_clean_2022-05.csv', 'manchester_spending_odileeds_clean_2022-03.csv', 'trafford-supplier-spend-2024-25.csv')`,
		"leeds_spending_raw_2020-06.csv:windows-1252 manchester_spending_odileeds_clean_2022-03.csv:utf-8 + c1-repaired manchester_spending_odileeds_clean_2022-05.csv:utf-8 (double-encoded BOM) trafford-supplier-spend-2024-25.csv:utf-8 + c1-repaired")
	h.want(`SELECT count(*) FILTER (council_name = 'Manchester City Council') || '/' || count(*) FROM spending WHERE source_file = 'manchester_spending_odileeds_clean_2022-05.csv'`, "3564/3564")
	// No NBSP left at either end of a supplier, no C1 control anywhere.
	h.want(`SELECT count(*) FROM spending WHERE supplier_name <> trim(supplier_name, chr(160))
		OR regexp_matches(supplier_name || expense_type || service_area, '[\x{80}-\x{9F}]')`, "0")
	// Payment dates per file, as the files run (sort | head/tail on the date column).
	h.want(`SELECT min(payment_date) || '..' || max(payment_date) FROM spending WHERE source_file = 'leeds_spending_raw_2013-06.csv'`, "2013-05-01..2013-06-28")
	h.want(`SELECT min(payment_date) || '..' || max(payment_date) FROM spending WHERE source_file = 'trafford-supplier-spend-2024-25.csv'`, "2024-04-02..2025-03-31")
}

// Loading a file again replaces its rows; other files of the council, and
// other councils, accumulate.
func TestSpendingReplaceAndAccumulate(t *testing.T) {
	h := newHarness(t)
	const leeds10, leeds13 = "spending/leeds/leeds_spending_raw_2010-12.csv", "spending/leeds/leeds_spending_raw_2013-06.csv"
	const nt = "spending/north_tyneside/northtyneside_spending_odileeds_clean_2022-07_p.csv"
	count := func() string { return h.one(`SELECT count(*) FROM spending`) }
	mustRun := func(council string, files ...string) ingest.Summary {
		t.Helper()
		s, err := h.runSpending(council, files...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mustRun("", leeds10)
	h.want(`SELECT count(*) FROM spending`, "10303")
	mustRun("", leeds10)
	h.want(`SELECT count(*) FROM spending`, "10303")
	mustRun("", leeds13)
	h.want(`SELECT count(*) FROM spending`, "18637") // 10303 + 8334
	mustRun("E08000022", nt)
	mustRun("E08000022", nt)
	h.want(`SELECT count(*) FROM spending`, "34719") // + 16082, once
	h.want(`SELECT string_agg(council_code || ':' || n, ' ' ORDER BY council_code) FROM (SELECT council_code, count(*) AS n FROM spending GROUP BY ALL)`,
		"E08000022:16082 E08000035:18637")

	// --council wins over what the file says, with a warning; the rows the
	// file has under Leeds stay (the replaced slice is the file's rows of
	// the council it resolved to).
	s := mustRun("E08000003", leeds10)
	if len(s.Warnings) != 2 || !strings.Contains(s.Warnings[0], "leeds_spending_raw_2010-12.csv names E08000035") ||
		!strings.Contains(s.Warnings[1], "stay (leeds_spending_raw_2010-12.csv under E08000035)") {
		t.Errorf("warnings %q", s.Warnings)
	}
	h.want(`SELECT count(*) FROM spending WHERE council_code = 'E08000003' AND council_name = 'Manchester City Council'`, "10303")
	h.want(`SELECT count(*) FROM spending`, "45022")

	// The same file twice in one run is refused, and nothing changes.
	before := count()
	dup := filepath.Join(t.TempDir(), "leeds_spending_raw_2010-12.csv")
	copyFile(t, filepath.Join(h.dd, leeds10), dup)
	if _, err := h.runSpending("", leeds10, dup); err == nil || !strings.Contains(err.Error(), "appear more than once") {
		t.Errorf("same file twice: %v", err)
	}
	h.want(`SELECT count(*) FROM spending`, before)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Bad files fail the run with a message naming the file and the problem,
// and leave the rows already loaded as they were.
func TestSpendingBadFilesKeepRows(t *testing.T) {
	h := newHarness(t)
	if _, err := h.runSpending("", "spending/manchester/manchester_spending_odileeds_clean_2022-04.csv"); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		return h.one(`SELECT count(*) || ' ' || sum(amount) || ' ' || max(source_line) FROM spending`)
	}
	before := state()
	if before != "3600 85474718.85 3601" {
		t.Fatalf("loaded %s", before)
	}
	dir := t.TempDir()

	// A zip cut short (the first half of Trafford's).
	zb, err := os.ReadFile(filepath.Join(h.dd, "spending/trafford/trafford-supplier-spend-2024-25.zip"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "trafford-supplier-spend-2024-25.zip")
	os.WriteFile(truncated, zb[:len(zb)/2], 0o644)

	// UTF-16 without a byte-order mark (the first lines of a Manchester file).
	mb, err := os.ReadFile(filepath.Join(h.dd, "spending/manchester/manchester_spending_odileeds_clean_2022-04.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var u16 []byte
	for _, c := range string(mb[:2000]) {
		u16 = append(u16, byte(c), byte(c>>8))
	}
	utf16 := filepath.Join(dir, "manchester_2022-04_utf16.csv")
	os.WriteFile(utf16, u16, 0o644)

	// No amount column: only the VAT one, which is not the amount.
	noAmount := filepath.Join(dir, "no_amount.csv")
	os.WriteFile(noAmount, []byte("Body Name,Payment Date,Supplier Name,Irrecoverable VAT Amount\r\nManchester City Council,2022-04-01,Acme Ltd,12.00\r\n"), 0o644)

	for _, c := range []struct {
		file, council string
		want          []string
	}{
		{truncated, "", []string{"ingest spending", "trafford-supplier-spend-2024-25.zip", "not a valid zip"}},
		{utf16, "", []string{"ingest spending", "manchester_2022-04_utf16.csv", "NUL bytes", "UTF-16"}},
		{noAmount, "", []string{"ingest spending", "no_amount.csv", `needs "Net Amount"`, "[Body Name Payment Date Supplier Name Irrecoverable VAT Amount]"}},
		{filepath.Join(h.dd, "spending/north_tyneside/northtyneside_spending_odileeds_clean_2022-07_p.csv"), "",
			[]string{"spending: cannot tell which council paid in northtyneside_spending_odileeds_clean_2022-07_p.csv; pass --council E08…"}},
		{noAmount, "E0800003", []string{`--council "E0800003"`}},
	} {
		_, err := h.runSpending(c.council, c.file)
		if err == nil {
			t.Errorf("%s: no error", filepath.Base(c.file))
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", filepath.Base(c.file), err, w)
			}
		}
		if got := state(); got != before {
			t.Errorf("%s: spending changed to %s", filepath.Base(c.file), got)
		}
	}
	h.want(`SELECT count(*) FROM ingest_runs WHERE dataset = 'spending' AND status = 'failed'`, "4")
}

// A council the catalogue does not know, in a layout it has never seen, is
// added with a councils file named by COMMONGROUND_COUNCILS, without code.
func TestSpendingExtraCouncilsFile(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "exampleshire_2024-04.csv")
	os.WriteFile(file, []byte("Authority,Paid On,Payee,Sum Paid,Ref\n"+
		"Exampleshire District Council,01/04/2024,Acme Ltd,\"£1,234.56\",A1\n"+
		"Exampleshire District Council,02/04/2024,Beta Ltd,(10.00),A2\n"+
		"Exampleshire District Council,03/04/2024,Gamma Ltd,tbc,A3\n"), 0o644)
	if _, err := h.runSpending("", file); err == nil || !strings.Contains(err.Error(), "no file kind matches") {
		t.Fatalf("unknown layout: %v", err)
	}
	extra := filepath.Join(dir, "extra.json")
	os.WriteFile(extra, []byte(`{"councils": [{"code": "E07000999", "name": "Exampleshire District Council",
		"names": ["Exampleshire District Council", "Exampleshire"],
		"aliases": {"payment_date": ["Paid On"], "amount": ["Sum Paid"], "transaction_id": ["Ref"], "organisation": ["Authority"]}}]}`), 0o644)
	t.Setenv(catalog.CouncilsEnv, extra)
	s, err := h.runSpending("", file)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 2 || s.Rejected != 1 {
		t.Errorf("rows %d rejected %d", s.Rows, s.Rejected)
	}
	h.want(`SELECT string_agg(council_code || ' ' || council_name || ' ' || payment_date || ' ' || amount || ' ' || transaction_id, '; ' ORDER BY source_line) FROM spending`,
		"E07000999 Exampleshire District Council 2024-04-01 1234.56 A1; E07000999 Exampleshire District Council 2024-04-02 -10.00 A2")
	h.want(`SELECT line || ' ' || "column" || ' ' || value || ' ' || reason FROM ingest_rejects WHERE dataset = 'spending'`, "4 Net Amount tbc not a decimal number")

	// A broken councils file fails spending runs, naming the file.
	os.WriteFile(extra, []byte(`{"councils": [{"code": "E07000999", "nmae": "typo"}]}`), 0o644)
	if _, err := h.runSpending("", file); err == nil || !strings.Contains(err.Error(), "COMMONGROUND_COUNCILS") || !strings.Contains(err.Error(), "extra.json") {
		t.Errorf("broken councils file: %v", err)
	}
	// A name that would identify two councils is refused.
	os.WriteFile(extra, []byte(`{"councils": [{"code": "E07000999", "name": "Exampleshire", "names": ["Leeds"]}]}`), 0o644)
	if _, err := catalog.Councils(); err == nil || !strings.Contains(err.Error(), `"leeds" identifies both`) {
		t.Errorf("ambiguous name: %v", err)
	}
}

// The embedded councils.json: valid, and every council has a code, a name
// and at least one way for files to name it.
func TestCouncilsJSON(t *testing.T) {
	t.Setenv(catalog.CouncilsEnv, "")
	cs, err := catalog.Councils()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, c := range cs {
		codes[c.Code] = c.Name
		if len(c.Names) == 0 {
			t.Errorf("%s has no names", c.Code)
		}
	}
	// Checked against lookups/LSOA11_WD21_LAD21_EW_LU.csv (LAD21CD, LAD21NM).
	for code, name := range map[string]string{"E08000035": "Leeds City Council", "E08000003": "Manchester City Council",
		"E08000022": "North Tyneside Council", "E08000009": "Trafford Council"} {
		if codes[code] != name {
			t.Errorf("%s is %q, want %q", code, codes[code], name)
		}
	}
}

// A workbook: a title row above the header, dates as serial numbers, amounts
// as "£1,234.56" text and as numbers; also the same workbook inside a zip.
func TestSpendingXLSX(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	f := excelize.NewFile()
	rows := [][]any{
		{"Trafford Council: expenditure over £500, April 2024"},
		{},
		{"Organisation Label", "Payment Date", "Beneficiary Name", "Amount", "Irrecoverable VAT Amount", "Transaction Number"},
		{"Trafford Council", 45383, "Acme Ltd", "£1,234.56", 5, "X1"},
		{"Trafford Council", 45384.0, "Beta Ltd", 99.5, 0, "X2"},
		{"Trafford Council", "03/04/2024", "Gamma Ltd", "(12.50)", 0, "X3"},
		{"Trafford Council", 45386, "Delta Ltd", "", 0, "X4"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	book := filepath.Join(dir, "trafford_2024-04.xlsx")
	if err := f.SaveAs(book); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err := h.runSpending("", book)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 3 || s.Rejected != 1 || s.Files[0].Encoding != "xlsx" || s.Files[0].DataLines != 4 {
		t.Fatalf("summary %+v", s)
	}
	// Serial 45383 is 1 April 2024: 45383 days after 30 December 1899.
	if d := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 45383).Format(time.DateOnly); d != "2024-04-01" {
		t.Fatal(d)
	}
	h.want(`SELECT string_agg(source_line || ' ' || council_code || ' ' || payment_date || ' ' || supplier_name || ' ' || amount, '; ' ORDER BY source_line) FROM spending`,
		"4 E08000009 2024-04-01 Acme Ltd 1234.56; 5 E08000009 2024-04-02 Beta Ltd 99.50; 6 E08000009 2024-04-03 Gamma Ltd -12.50")
	h.want(`SELECT line || ' ' || "column" || ' ' || reason FROM ingest_rejects WHERE dataset = 'spending'`, "7 Net Amount required value is empty")

	// In a zip, beside a readme: the member is read as a workbook, and it
	// replaces nothing of the first load (its name is different).
	zpath := filepath.Join(dir, "bundle.zip")
	zf, _ := os.Create(zpath)
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("april/trafford_2024-04-b.xlsx")
	b, _ := os.ReadFile(book)
	w.Write(b)
	w, _ = zw.Create("README.txt")
	io.WriteString(w, "Payments over £500")
	zw.Close()
	zf.Close()
	if s, err := h.runSpending("", zpath); err != nil || s.Rows != 3 || s.Files[0].File != "trafford_2024-04-b.xlsx" {
		t.Fatalf("zipped workbook: %+v %v", s, err)
	}
	h.want(`SELECT count(*) || ' ' || sum(amount) FROM spending`, "6 2643.12")
}

// BenchmarkTraffordSpending loads Trafford's 2024-25 supplier spend (210,068
// rows, a 53.6 MB CSV inside a 3.1 MB zip) into a fresh warehouse, including
// the checkpoint. Target: under 3 s.
//
//	go test -tags duckdb_arrow,mallocator -run '^$' -bench TraffordSpending -benchtime 3x ./ingest/
func BenchmarkTraffordSpending(b *testing.B) {
	dd := os.Getenv("COMMONGROUND_SHARED_DATA")
	if dd == "" {
		dd, _ = filepath.Abs("../../shared/data")
	}
	path := filepath.Join(dd, "spending/trafford/trafford-supplier-spend-2024-25.zip")
	st, err := os.Stat(path)
	if err != nil {
		b.Skipf("real data not available: %v", err)
	}
	ds, err := catalog.ByID("spending")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	ctx := context.Background()
	var rows int64
	var cpu time.Duration // user + system time of the timed parts (the machine may be shared)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		db, err := warehouse.Open(ctx, filepath.Join(dir, "bench.duckdb"), warehouse.Options{Logger: benchLog()})
		if err != nil {
			b.Fatal(err)
		}
		r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache"), Logger: benchLog()}, Logger: benchLog()}
		c0 := spendingCPU()
		b.StartTimer()
		s, err := r.Run(ctx, ds, []string{path})
		if err == nil {
			_, err = db.SQL().ExecContext(ctx, "CHECKPOINT store")
		}
		b.StopTimer()
		cpu += spendingCPU() - c0
		if err != nil {
			b.Fatal(err)
		}
		if s.Rows != 210068 || s.Rejected != 0 {
			b.Fatalf("rows %d rejected %d", s.Rows, s.Rejected)
		}
		rows += s.Rows
		db.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/load")
}

// spendingCPU is the process's user + system CPU time so far.
func spendingCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// The synthetic demo's spending files (Leeds' 2013 layout and the
// Transparency Code layout with "£1,234.56" and "(123.45)" amounts) load
// under the demo authority's code, taken from the end of its URI.
func TestSpendingDemoFiles(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	files, err := demo.Generate(t.Context(), dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	paths := files[demo.DatasetSpending]
	if len(paths) != 2 {
		t.Fatalf("demo spending files %v", paths)
	}
	h.r.Synthetic = true
	s, err := h.runSpending("", paths...)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 0 || s.Rejected != 1 {
		t.Errorf("warnings %v, rejected %d (the demo has one bad date)", s.Warnings, s.Rejected)
	}
	for _, p := range paths {
		// Rows, and the sum of amounts in pence, of the lines whose date is
		// a real date (the July file has one "2024-07-32").
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		dateCol, amountCol := -1, -1
		for i, h := range recs[0] {
			switch h {
			case "DatePaid", "PaymentDate":
				dateCol = i
			case "NetAmount", "Amount":
				amountCol = i
			}
		}
		var wantRows, wantPence int64
		for _, r := range recs[1:] {
			if r[dateCol] == "2024-07-32" {
				continue
			}
			v, ok := pence(r[amountCol])
			if !ok {
				t.Fatalf("%s: amount %q", filepath.Base(p), r[amountCol])
			}
			wantRows++
			wantPence += v
		}
		var rows, got int64
		if err := h.db.SQL().QueryRowContext(t.Context(), `SELECT count(*), sum(amount * 100)::BIGINT FROM spending WHERE source_file = ? AND council_code = ?`,
			filepath.Base(p), demo.LADCode).Scan(&rows, &got); err != nil {
			t.Fatal(err)
		}
		if rows != wantRows || got != wantPence {
			t.Errorf("%s: %d rows, %d pence; the file has %d and %d", filepath.Base(p), rows, got, wantRows, wantPence)
		}
	}
	h.want(`SELECT DISTINCT council_name FROM spending`, "Exampleton Council (synthetic)")
	h.want(`SELECT "column" || ' ' || value || ' ' || left(reason, 10) FROM ingest_rejects WHERE dataset = 'spending'`, "Payment Date 2024-07-32 not a date")
}

// A file that names several councils row by row (a shared service's
// extract) is split between them; a row naming none then makes the file
// ambiguous, and --council settles it.
func TestSpendingCouncilPerRow(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "shared_service_2024-05.csv")
	body := "Organisation Label,Organisation URI,Payment Date,Beneficiary Name,Amount\n" +
		"Leeds City Council,,01/05/2024,Acme Ltd,100.00\n" +
		"Manchester,,02/05/2024,Acme Ltd,200.00\n" +
		",http://statistics.data.gov.uk/doc/local-authority/00BN,03/05/2024,Beta Ltd,300.00\n" +
		"Blackpool Council,,04/05/2024,Gamma Ltd,-50.00\n"
	os.WriteFile(file, []byte(body), 0o644)
	if _, err := h.runSpending("", file); err != nil {
		t.Fatal(err)
	}
	h.want(`SELECT string_agg(source_line || ':' || council_code || ':' || amount, ' ' ORDER BY source_line) FROM spending`,
		"2:E08000035:100.00 3:E08000003:200.00 4:E08000003:300.00 5:E06000009:-50.00")

	os.WriteFile(file, []byte(body+"Somewhere Else,,05/05/2024,Delta Ltd,1.00\n"), 0o644)
	if _, err := h.runSpending("", file); err == nil || !strings.Contains(err.Error(), "cannot tell which council paid in shared_service_2024-05.csv") {
		t.Fatalf("row naming no known council: %v", err)
	}
	h.want(`SELECT count(*) FROM spending`, "4")
	// With --council every row is that council's; the rows loaded under
	// the other councils stay until their own file is reloaded.
	if _, err := h.runSpending("E08000035", file); err != nil {
		t.Fatal(err)
	}
	h.want(`SELECT string_agg(council_code || ':' || n, ' ' ORDER BY council_code) FROM (SELECT council_code, count(*) AS n FROM spending GROUP BY ALL)`,
		"E06000009:1 E08000003:2 E08000035:5")
}
