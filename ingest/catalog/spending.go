package catalog

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"commonground/ingest"
	"commonground/ingest/format"
)

// Council spending ("spending over £500" transparency files). Every council
// publishes its own layout and changes it over the years, so the dataset has
// one layout whose columns are found by header synonyms: the generic ones
// below, plus each council's own quirks, kept as data in councils.json.

//go:embed councils.json
var councilsJSON []byte

// CouncilsEnv names the environment variable listing extra councils files
// (same schema as councils.json, separated like PATH), merged at load.
const CouncilsEnv = "COMMONGROUND_COUNCILS"

// Council is one local authority the spending dataset knows: how its files
// name it, and header aliases its files need beyond the generic ones.
type Council struct {
	// Code is the local authority's GSS code (E08000035).
	Code string `json:"code"`
	// Name is the council's name as stored in spending.council_name.
	Name string `json:"name"`
	// Names are the spellings its files use in an organisation or body
	// column ("Leeds City Council", "Leeds").
	Names []string `json:"names,omitempty"`
	// OldCodes are pre-2009 ONS codes ("00DA"), seen at the end of old
	// statistics.data.gov.uk URIs.
	OldCodes []string `json:"old_codes,omitempty"`
	// URIs identify the council in organisation URI columns.
	URIs []string `json:"uris,omitempty"`
	// Aliases are extra header names, by canonical column
	// ("supplier_name": ["Supplier (Beneficiary) Name"]).
	Aliases map[string][]string `json:"aliases,omitempty"`
}

type councilsFile struct {
	Councils []Council `json:"councils"`
}

// councilCode is a local authority code --council accepts: English
// unitary, metropolitan, London and county councils, Welsh, Scottish and
// Northern Irish authorities.
var councilCode = regexp.MustCompile(`^(E0[6-9]|E10|W06|S12|N09)[0-9]{6}$`)

// councilCodeSQL is councilCode for regexp_full_match (upper-cased input).
const councilCodeSQL = `(E0[6-9]|E10|W06|S12|N09)[0-9]{6}`

// spendingColumn is one canonical column of the spending layout.
type spendingColumn struct {
	name    string
	typ     format.Type
	aliases []string
}

// spendingColumns are the staged columns, each with its generic header
// synonyms in order of preference (the first one present in a file wins).
// Matching ignores case, spaces and punctuation ("NetAmount" is "Net
// amount") but is otherwise exact: "Irrecoverable VAT Amount" is not
// "Amount".
var spendingColumns = []spendingColumn{
	// The paying body: a name, and a URI or code.
	{"organisation", format.Text, []string{"Organisation Label", "Body Name", "Organisation Name", "Organisation", "Authority Name", "Local Authority", "Council"}},
	{"organisation_id", format.Text, []string{"Organisation URI", "Organisation Code", "Body", "Organisation ID", "Body URI", "Authority Code"}},
	{"payment_date", format.Date, []string{"Payment Date", "Date Paid", "Paid Date", "Transaction Date", "Date"}},
	{"supplier_name", format.Text, []string{"Supplier Name", "Beneficiary Name", "Supplier", "Beneficiary", "Payee Name", "Payee", "Vendor Name", "Creditor Name", "Merchant Name"}},
	{"supplier_id", format.Text, []string{"Supplier ID", "Supplier Reference", "Supplier Number", "Supplier Code", "Beneficiary Other ID", "Beneficiary ID", "Vendor ID", "Creditor ID"}},
	{"amount", format.Decimal, []string{"Net Amount", "Amount", "Net Value", "Value", "Amount Paid", "Payment Amount", "Transaction Amount", "Amount Excluding VAT", "Total"}},
	{"expense_type", format.Text, []string{"Expense Type", "Expenses Type", "Expenditure Type", "Detailed Expenditure Type", "Purpose", "Purpose of Spend", "Expense Description", "Expenditure Description", "Category Internal Name", "Expenditure Category"}},
	{"service_area", format.Text, []string{"Service Area", "Directorate", "Department", "Organisational Unit", "Service Label", "Service", "Service Division Label", "Service Division"}},
	{"transaction_id", format.Text, []string{"Transaction Number", "Transaction ID", "Transaction Reference", "Transaction No", "Payment Reference", "Reference"}},
}

// councilSet is the merged councils and what is built from them.
type councilSet struct {
	councils []Council
	keys     [][2]string // normalised key → code, sorted by key
	err      error       // a bad extra file: the run fails with it
}

// Councils returns the councils the spending dataset knows: the embedded
// councils.json merged with the files named in $COMMONGROUND_COUNCILS.
func Councils() ([]Council, error) {
	cs := loadCouncils()
	return cs.councils, cs.err
}

func loadCouncils() councilSet {
	base, err := parseCouncils(councilsJSON, "councils.json (embedded)")
	if err != nil {
		return councilSet{err: err}
	}
	merged := base
	if env := os.Getenv(CouncilsEnv); env != "" {
		for _, path := range filepath.SplitList(env) {
			if path == "" {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return withKeys(base, fmt.Errorf("%s: %w", CouncilsEnv, err))
			}
			extra, err := parseCouncils(b, path)
			if err != nil {
				return withKeys(base, fmt.Errorf("%s: %w", CouncilsEnv, err))
			}
			merged = mergeCouncils(merged, extra)
		}
	}
	if err := checkCouncils(merged); err != nil {
		if len(merged) != len(base) || os.Getenv(CouncilsEnv) != "" {
			err = fmt.Errorf("%s: %w", CouncilsEnv, err)
		}
		return withKeys(base, err)
	}
	return withKeys(merged, nil)
}

func withKeys(cs []Council, err error) councilSet {
	s := councilSet{councils: cs, err: err}
	seen := map[string]string{}
	for _, c := range cs {
		for _, k := range councilKeys(c) {
			if _, ok := seen[k]; !ok {
				seen[k] = c.Code
				s.keys = append(s.keys, [2]string{k, c.Code})
			}
		}
	}
	sort.Slice(s.keys, func(i, j int) bool { return s.keys[i][0] < s.keys[j][0] })
	return s
}

func parseCouncils(b []byte, name string) ([]Council, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f councilsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i, c := range f.Councils {
		if !councilCode.MatchString(c.Code) {
			return nil, fmt.Errorf("%s: council %d (%q): code %q is not a local authority code like E08000035", name, i+1, c.Name, c.Code)
		}
		for col := range c.Aliases {
			if !isSpendingColumn(col) {
				return nil, fmt.Errorf("%s: council %s: aliases for unknown column %q (columns: %s)", name, c.Code, col, spendingColumnNames())
			}
		}
	}
	return f.Councils, nil
}

func isSpendingColumn(name string) bool {
	for _, c := range spendingColumns {
		if c.name == name {
			return true
		}
	}
	return false
}

func spendingColumnNames() string {
	var n []string
	for _, c := range spendingColumns {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

// mergeCouncils adds extra to base: a council already known (same code)
// gets the extra names, codes, URIs and aliases (and its name replaced when
// one is given); a new one is appended.
func mergeCouncils(base, extra []Council) []Council {
	out := make([]Council, len(base))
	for i, c := range base {
		out[i] = cloneCouncil(c)
	}
	for _, e := range extra {
		i := -1
		for j := range out {
			if out[j].Code == e.Code {
				i = j
				break
			}
		}
		if i < 0 {
			out = append(out, cloneCouncil(e))
			continue
		}
		c := &out[i]
		if e.Name != "" {
			c.Name = e.Name
		}
		c.Names = append(c.Names, e.Names...)
		c.OldCodes = append(c.OldCodes, e.OldCodes...)
		c.URIs = append(c.URIs, e.URIs...)
		for col, as := range e.Aliases {
			if c.Aliases == nil {
				c.Aliases = map[string][]string{}
			}
			c.Aliases[col] = append(c.Aliases[col], as...)
		}
	}
	return out
}

func cloneCouncil(c Council) Council {
	c.Names = append([]string(nil), c.Names...)
	c.OldCodes = append([]string(nil), c.OldCodes...)
	c.URIs = append([]string(nil), c.URIs...)
	as := map[string][]string{}
	for k, v := range c.Aliases {
		as[k] = append([]string(nil), v...)
	}
	c.Aliases = as
	return c
}

// checkCouncils rejects a name, URI or code that would identify two
// councils, a council without a name, and an alias claimed by two columns.
func checkCouncils(cs []Council) error {
	owner := map[string]string{}
	for _, c := range cs {
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("council %s has no name", c.Code)
		}
		for _, k := range councilKeys(c) {
			if o, ok := owner[k]; ok && o != c.Code {
				return fmt.Errorf("%q identifies both %s and %s", k, o, c.Code)
			}
			owner[k] = c.Code
		}
	}
	_, err := spendingSpec(cs)
	return err
}

var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// councilKey normalises a name, URI or code for matching: without a URI
// scheme, lower case, ASCII letters and digits only. spendingCTEs does
// the same in SQL.
func councilKey(s string) string {
	s = uriScheme.ReplaceAllString(strings.TrimSpace(s), "")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// councilKeys are the normalised names, URIs and codes of a council.
func councilKeys(c Council) []string {
	var out []string
	for _, group := range [][]string{{c.Code, c.Name}, c.Names, c.OldCodes, c.URIs} {
		for _, s := range group {
			if k := councilKey(s); k != "" {
				out = append(out, k)
			}
		}
	}
	return out
}

// spendingSpec builds the layout: for each column its primary name, then
// the councils' extra aliases (in council order), then the other generic
// synonyms. A council's alias is thus preferred to the generic synonyms in
// every file, so it must name that column wherever it appears. The primary
// name stays first because it labels the column in rejects.
func spendingSpec(cs []Council) (format.FileSpec, error) {
	spec := format.FileSpec{Kind: "spending", HeaderSearch: 10,
		FileColumn: "source_file", LineColumn: "source_line", RawColumn: "raw"}
	claimed := map[string]string{}
	for _, sc := range spendingColumns {
		var aliases []string
		add := func(a string) error {
			n := format.NormalizeHeader(a)
			if n == "" {
				return fmt.Errorf("column %s: empty alias %q", sc.name, a)
			}
			if o, ok := claimed[n]; ok {
				if o != sc.name {
					return fmt.Errorf("header %q is an alias of both %s and %s", a, o, sc.name)
				}
				return nil
			}
			claimed[n] = sc.name
			aliases = append(aliases, a)
			return nil
		}
		if err := add(sc.aliases[0]); err != nil {
			return format.FileSpec{}, err
		}
		for _, c := range cs {
			for _, a := range c.Aliases[sc.name] {
				if err := add(a); err != nil {
					return format.FileSpec{}, fmt.Errorf("council %s: %w", c.Code, err)
				}
			}
		}
		for _, a := range sc.aliases[1:] {
			if err := add(a); err != nil {
				return format.FileSpec{}, err
			}
		}
		col := format.Column{Name: sc.name, Type: sc.typ, Aliases: aliases}
		switch sc.name {
		case "amount":
			// The layout is recognised by its amount and date; a row
			// without an amount is rejected.
			col.Scale, col.Required, col.NotNull = 2, true, true
		case "payment_date":
			col.Required = true
		}
		spec.Columns = append(spec.Columns, col)
	}
	return spec, nil
}

// councilParam is the --council value in SQL, NULL when not given. The
// runner substitutes {{council}} with a quoted literal ('E08000035') or
// NULL; inside a dollar-quoted string that gives the text $$'E08000035'$$
// or $$NULL$$, from which the code is extracted. Written this way the SQL
// also compiles unsubstituted ($${{council}}$$ gives NULL), as the
// catalogue's SQL test runs it.
const councilParam = `nullif(regexp_extract($${{council}}$$, '^''(.*)''$', 1), '')`

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlKey is councilKey in SQL, for a column expression.
func sqlKey(x string) string {
	return fmt.Sprintf(`regexp_replace(lower(regexp_replace(%s, '^[A-Za-z][A-Za-z0-9+.-]*://', '')), '[^a-z0-9]+', '', 'g')`, x)
}

// spendingCTEs resolves the paying council of each distinct organisation
// (name, URI/code) of each staged file. council is an SQL expression: the
// --council value (councilParam, NULL when not given) wins; then the
// organisation name or URI/code as a key of councils.json, or a local
// authority code at the end of either ("…/local-authority/E06000009"); then
// the one council the rest of the file names. It is a WITH clause
// defining council_keys, council_names, orgs (source_file, organisation,
// organisation_id, code) and file_codes (source_file, councils: how many
// codes, code: the smallest, unresolved: organisations without one); the
// caller adds more CTEs after a comma, or its final SELECT.
func spendingCTEs(cs councilSet, council string) string {
	var keys, names []string
	for _, k := range cs.keys {
		keys = append(keys, fmt.Sprintf("(%s, %s)", sqlString(k[0]), sqlString(k[1])))
	}
	for _, c := range cs.councils {
		names = append(names, fmt.Sprintf("(%s, %s)", sqlString(c.Code), sqlString(c.Name)))
	}
	if len(keys) == 0 {
		keys = []string{"(NULL, NULL)"}
	}
	if len(names) == 0 {
		names = []string{"(NULL, NULL)"}
	}
	codeAt := func(x string) string {
		return fmt.Sprintf("CASE WHEN regexp_full_match(upper(%s), '%s') THEN upper(%s) END", x, councilCodeSQL, x)
	}
	return fmt.Sprintf(`WITH council_keys(k, code) AS (VALUES %s),
council_names(code, name) AS (VALUES %s),
named AS (
  SELECT o.source_file, o.organisation, o.organisation_id,
    coalesce(k1.code, k2.code, k3.code, k4.code, %s, %s) AS code
  FROM (SELECT DISTINCT source_file, organisation, organisation_id,
          regexp_extract(organisation_id, '([^/]+)/*$', 1) AS id_last,
          regexp_extract(organisation, '([^/]+)/*$', 1) AS name_last
        FROM stg_spending) o
  LEFT JOIN council_keys k1 ON k1.k = %s
  LEFT JOIN council_keys k2 ON k2.k = %s
  LEFT JOIN council_keys k3 ON k3.k = %s
  LEFT JOIN council_keys k4 ON k4.k = %s),
named_files AS (
  SELECT source_file, CASE WHEN count(DISTINCT code) = 1 THEN min(code) END AS code FROM named GROUP BY source_file),
orgs AS (
  SELECT n.source_file, n.organisation, n.organisation_id, coalesce(%s, n.code, f.code) AS code
  FROM named n JOIN named_files f USING (source_file)),
file_codes AS (
  SELECT source_file, count(DISTINCT code) AS councils, min(code) AS code, count(*) FILTER (code IS NULL) AS unresolved
  FROM orgs GROUP BY source_file)
`,
		strings.Join(keys, ", "), strings.Join(names, ", "),
		codeAt("o.id_last"), codeAt("o.name_last"),
		sqlKey("o.organisation"), sqlKey("o.organisation_id"), sqlKey("o.id_last"), sqlKey("o.name_last"),
		council)
}

// spendingInsert selects the spending rows. Each row takes its file's
// council; only a file whose organisations resolve to different councils
// is joined row by row to them.
func spendingInsert(cs councilSet, council string) string {
	return spendingCTEs(cs, council) + `,
spend_rows AS (
  SELECT f.code AS council_code, s.* FROM stg_spending s JOIN file_codes f USING (source_file) WHERE f.councils <= 1
  UNION ALL
  SELECT o.code AS council_code, s.* FROM stg_spending s
  JOIN orgs o ON o.source_file = s.source_file AND o.organisation IS NOT DISTINCT FROM s.organisation
    AND o.organisation_id IS NOT DISTINCT FROM s.organisation_id
  WHERE s.source_file IN (SELECT source_file FROM file_codes WHERE councils > 1))
SELECT r.council_code, coalesce(n.name, r.organisation) AS council_name, r.source_file, r.source_line, r.payment_date,
  r.supplier_name, r.supplier_id, r.amount, r.expense_type, r.service_area, r.transaction_id, r.raw
FROM spend_rows r LEFT JOIN council_names n ON n.code = r.council_code`
}

// spendingReplace selects the rows a run replaces: those of each file
// loaded, under the council (or councils) its rows resolved to. Other files
// of the council, and same-named files of other councils, stay.
func spendingReplace(cs councilSet, council string) string {
	return "(council_code, source_file) IN (" + spendingCTEs(cs, council) + "SELECT DISTINCT code, source_file FROM orgs)"
}

// spendingEnrich checks, before anything is written, that every staged row
// has a council and no line is there twice, and warns when --council
// overrides the council a file names.
func spendingEnrich(cs councilSet) func(ctx context.Context, st *ingest.Staging) error {
	return func(ctx context.Context, st *ingest.Staging) error {
		if cs.err != nil {
			return cs.err
		}
		param := st.Params["council"]
		lit := "NULL"
		if param != "" {
			lit = sqlString(param)
		}
		var unresolved string
		q := spendingCTEs(cs, lit) + `SELECT coalesce(string_agg(source_file, ', ' ORDER BY source_file), '') FROM file_codes WHERE unresolved > 0`
		if err := st.QueryRow(ctx, q, &unresolved); err != nil {
			return fmt.Errorf("resolve councils: %w", err)
		}
		if unresolved != "" {
			return fmt.Errorf("spending: cannot tell which council paid in %s; pass --council E08… (the paying council's local authority code, e.g. E08000035 for Leeds), or describe the council in a file named by %s", unresolved, CouncilsEnv)
		}
		// The same file given twice (two copies, overlapping globs). Lines
		// repeat only if a file name does; then check by council, since
		// same-named files of two councils may be loaded together.
		var dups int64
		var example string
		q = `SELECT count(*), coalesce(min(source_file || ' line ' || source_line), '') FROM
			(SELECT source_file, source_line FROM stg_spending GROUP BY ALL HAVING count(*) > 1)`
		if err := st.QueryRow(ctx, q, &dups, &example); err != nil {
			return fmt.Errorf("check duplicates: %w", err)
		}
		if dups > 0 {
			q = `SELECT count(*), coalesce(min(source_file || ' line ' || source_line || ' of ' || council_code), '') FROM
				(SELECT council_code, source_file, source_line FROM (` + spendingInsert(cs, lit) + `) GROUP BY ALL HAVING count(*) > 1)`
			if err := st.QueryRow(ctx, q, &dups, &example); err != nil {
				return fmt.Errorf("check duplicates: %w", err)
			}
			if dups > 0 {
				return fmt.Errorf("%d lines appear more than once, e.g. %s: was the same file given twice?", dups, example)
			}
		}
		if param == "" {
			return nil
		}
		var named string
		q = spendingCTEs(cs, "NULL") + `SELECT coalesce(string_agg(DISTINCT source_file || ' names ' || code, '; ' ORDER BY source_file || ' names ' || code), '')
			FROM orgs WHERE code IS NOT NULL AND code <> ` + lit
		if err := st.QueryRow(ctx, q, &named); err != nil {
			return fmt.Errorf("resolve councils: %w", err)
		}
		if named != "" {
			st.Warn("--council %s overrides the council the file names (%s); its rows are recorded under %s", param, named, param)
		}
		var others string
		q = `SELECT coalesce(string_agg(DISTINCT source_file || ' under ' || council_code, ', ' ORDER BY source_file || ' under ' || council_code), '')
			FROM store.main.spending WHERE council_code <> ` + lit + ` AND source_file IN (SELECT source_file FROM stg_spending)`
		if err := st.QueryRow(ctx, q, &others); err != nil {
			return fmt.Errorf("check earlier loads: %w", err)
		}
		if others != "" {
			st.Warn("rows loaded earlier from files of the same name stay (%s): a load replaces a file's rows for the council it is loaded under only", others)
		}
		return nil
	}
}

func spending() []ingest.Dataset {
	cs := loadCouncils()
	spec, err := spendingSpec(cs.councils)
	if err != nil {
		// Only a bad extra file can get here (checkCouncils ran); fall
		// back to the generic synonyms and fail runs with the error.
		spec, _ = spendingSpec(nil)
		if cs.err == nil {
			cs.err = err
		}
	}
	if len(cs.councils) == 0 && cs.err == nil {
		cs.err = errors.New("councils.json lists no council")
	}
	if cs.err != nil {
		// The Enrich step fails the run with the error, but a file that
		// needs the broken file's aliases is not recognised at all: name
		// the error where that message lists what the layout needs.
		for i, c := range spec.Columns {
			if c.Required {
				spec.Columns[i].Aliases = append([]string{"(" + cs.err.Error() + ")"}, c.Aliases...)
				break
			}
		}
	}

	const odiLeeds = "https://raw.githubusercontent.com/odileeds/council-spending-data/"
	return []ingest.Dataset{{
		ID:          "spending",
		Title:       "Council spending over £500 (local authority payments to suppliers)",
		Publisher:   "Each local authority (Local Government Transparency Code)",
		Licence:     ogl,
		Attribution: "Contains public sector information licensed under the Open Government Licence v3.0 (the paying council's transparency data).",
		Description: "Every payment line a council publishes under the Transparency Code (\"spending over £500\"), normalised from each council's own layout: " +
			"paying council, date, supplier, amount (negative for credits), expense type, service area and transaction number, with the original line kept in raw. " +
			"Headers are matched by synonyms plus each council's quirks in councils.json ($" + CouncilsEnv + " adds more). " +
			"Loading a file replaces the rows of that file for its council; other files accumulate.",
		Landing: "https://www.gov.uk/government/publications/local-government-transparency-code-2015",
		URLs: []string{
			"https://raw.githubusercontent.com/traffordDataLab/council_open_data/e59af2ed67abaa94cf677485172c5a668f8e5968/transparency_code/supplier_spend/trafford-supplier-spend-2024-25.zip",
			odiLeeds + "38fe4845458272f3e527c3c60737107d2ab313cc/leeds/raw/2010-12.csv",
			odiLeeds + "38fe4845458272f3e527c3c60737107d2ab313cc/leeds/raw/2011-06.csv",
			odiLeeds + "38fe4845458272f3e527c3c60737107d2ab313cc/leeds/raw/2012-06.csv",
			odiLeeds + "38fe4845458272f3e527c3c60737107d2ab313cc/leeds/raw/2013-06.csv",
			odiLeeds + "38fe4845458272f3e527c3c60737107d2ab313cc/leeds/raw/2020-06.csv",
			odiLeeds + "0ef278d91cd5ad6dd534bce42a4c7b7ea131f7a8/manchester/clean/2022-03.csv",
			odiLeeds + "0ef278d91cd5ad6dd534bce42a4c7b7ea131f7a8/manchester/clean/2022-04.csv",
			odiLeeds + "0ef278d91cd5ad6dd534bce42a4c7b7ea131f7a8/manchester/clean/2022-05.csv",
		},
		Format:     "CSV (also in a zip) or XLSX, in each council's own layout",
		Geography:  "Local authority (the paying council)",
		Vintage:    "As published: Trafford 2024-25, Leeds 2010-2020, Manchester 2022 by default",
		Table:      "spending",
		Files:      []format.FileSpec{spec},
		Repeat:     true,
		Accumulate: true,
		Params: []ingest.Param{{Name: "council", Pattern: councilCode,
			Help: "local authority code of the paying council, e.g. E08000035 (optional when the file names its council)"}},
		// Re-loading a file replaces its rows for the council it resolved
		// to; other files (and same-named files of other councils) stay.
		Replace: spendingReplace(cs, councilParam),
		Insert:  spendingInsert(cs, councilParam),
		// Enrich also checks that no line is loaded twice (cheaper than
		// Checks.Unique over the whole insert).
		Enrich: spendingEnrich(cs),
	}}
}
