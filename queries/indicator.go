package queries

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Unit is what an indicator's value measures.
type Unit string

// The units an indicator may declare.
const (
	UnitPercent       Unit = "%"
	UnitPer1000       Unit = "per 1,000"
	UnitPer10000      Unit = "per 10,000"
	UnitRank          Unit = "rank"
	UnitScore         Unit = "score"
	UnitPoundsPerHead Unit = "£ per head"
	UnitKm            Unit = "km"
	UnitCount         Unit = "count"
)

var units = []Unit{UnitPercent, UnitPer1000, UnitPer10000, UnitRank, UnitScore, UnitPoundsPerHead, UnitKm, UnitCount}

// multiplier turns a ratio of sums into the unit (100 for a percentage).
func (u Unit) multiplier() float64 {
	switch u {
	case UnitPercent:
		return 100
	case UnitPer1000:
		return 1000
	case UnitPer10000:
		return 10000
	}
	return 1
}

// Polarity says whether a higher value is better, worse, or neither.
type Polarity string

// The polarities an indicator may declare.
const (
	HigherIsBetter Polarity = "higher is better"
	HigherIsWorse  Polarity = "higher is worse"
	Neutral        Polarity = "neutral"
)

// Rule is how LSOA rows are aggregated to an area.
type Rule string

// The aggregation rules. See docs/INDICATORS.md.
const (
	// RuleRatio sums numerators and denominators over the area's LSOAs,
	// then divides (and scales by the unit): never an average of ratios.
	RuleRatio Rule = "ratio"
	// RuleMean is the weighted mean of the LSOA values (weights are
	// populations): for scores and distances.
	RuleMean Rule = "mean"
	// RuleSum adds the LSOA values: for counts.
	RuleSum Rule = "sum"
)

// CIMethod is how an indicator's confidence intervals are computed.
type CIMethod string

// The confidence interval methods.
const (
	CIWilson CIMethod = "wilson" // proportions: Wilson score interval
	CIByar   CIMethod = "byar"   // rates: Byar's approximation (exact Poisson below 10 events)
	CINone   CIMethod = "none"   // no interval; comparisons are "not compared"
)

// Geography is the level an indicator's SQL returns rows for.
type Geography string

// The geographies an indicator may be computed at.
const (
	GeoLSOA11 Geography = "lsoa11" // one row per LSOA 2011, column lsoa_code
	GeoLSOA21 Geography = "lsoa21" // one row per LSOA 2021, column lsoa_code
	// GeoLAD is for measures that only exist per local authority (council
	// spending, change across LSOA vintages): one row per local authority,
	// and optionally one for England (E92000001), column area_code.
	GeoLAD Geography = "lad"
)

// vintage is the LSOA boundary year of an LSOA geography.
func (g Geography) vintage() int {
	switch g {
	case GeoLSOA11:
		return 2011
	case GeoLSOA21:
		return 2021
	}
	return 0
}

// Area levels, as in areas.level and area_lsoas.area_level.
const (
	LevelLSOA11  = "lsoa11"
	LevelLSOA21  = "lsoa21"
	LevelWard    = "ward"
	LevelMSOA21  = "msoa21"
	LevelLAD     = "lad"
	LevelCountry = "country"
	LevelCustom  = "custom"
)

var levels = []string{LevelLSOA11, LevelLSOA21, LevelWard, LevelMSOA21, LevelLAD, LevelCountry, LevelCustom}

// EnglandCode is the GSS code of England, the national comparator.
const EnglandCode = "E92000001"

// Source is a dataset an indicator reads and the warehouse table it is
// loaded into. Dataset "*" means any dataset that loads Table.
type Source struct {
	Dataset string `json:"dataset"`
	Table   string `json:"table"`
}

// Param is a named parameter of an indicator's SQL ($name), bound to its
// default on every run.
type Param struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default any    `json:"default"`
}

// Indicator is one indicator file: its metadata and its SQL. Values are
// read-only once loaded.
type Indicator struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Definition string   `json:"definition"`
	Unit       Unit     `json:"unit"`
	Polarity   Polarity `json:"polarity"`
	Rule       Rule     `json:"rule"`
	// Numerator and Denominator describe a ratio; Weight a mean.
	Numerator   string    `json:"numerator,omitempty"`
	Denominator string    `json:"denominator,omitempty"`
	Weight      string    `json:"weight,omitempty"`
	CI          CIMethod  `json:"ci"`
	Sources     []Source  `json:"sources"`
	Geography   Geography `json:"geography"`
	// Levels limits the area levels the indicator is shown for; empty
	// means every level.
	Levels   []string `json:"levels,omitempty"`
	Params   []Param  `json:"params,omitempty"`
	Caveats  []string `json:"caveats,omitempty"`
	Sentence string   `json:"sentence"`
	// File is the file name as reported in errors; SQL is its whole text
	// (header comments included, so DuckDB's line numbers are the file's).
	File string `json:"file"`
	SQL  string `json:"-"`

	lines     map[string]int // header field -> line
	bodyLine  int            // first line of SQL after the header
	paramLine map[string]int // parameter -> line of first use
}

// FileError is a problem with one indicator file, at a line (0 when the
// problem is with the file as a whole).
type FileError struct {
	File string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

var (
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	paramPattern = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s+(integer|double|text|date)\s*=\s*(.+)$`)
	sourceItem   = regexp.MustCompile(`^([A-Za-z0-9_*-]+)\s*\(([a-z_][a-z0-9_]*)\)$`)
	dollarParam  = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)
	headerLine   = regexp.MustCompile(`^--\s?([a-z_]+):\s*(.*)$`)
)

// fields lists the header fields; repeatable ones may appear many times.
var fields = map[string]struct{ required, repeatable bool }{
	"id": {true, false}, "title": {true, false}, "definition": {true, false}, "unit": {true, false},
	"polarity": {true, false}, "rule": {true, false}, "numerator": {}, "denominator": {}, "weight": {},
	"ci": {}, "sources": {true, false}, "geography": {true, false}, "levels": {}, "param": {false, true},
	"caveat": {false, true}, "sentence": {true, false},
}

// parse reads one indicator file. Every problem found is returned, each
// naming the file and line.
func parse(name, text string) (*Indicator, error) {
	ind := &Indicator{File: name, SQL: text, lines: map[string]int{}, paramLine: map[string]int{}}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &FileError{File: name, Line: line, Err: fmt.Errorf(format, args...)})
	}
	values := map[string]string{}
	lines := strings.Split(text, "\n")
	last := "" // field a continuation line extends
	lastIdx := -1
	i := 0
	for ; i < len(lines); i++ {
		raw := strings.TrimRight(lines[i], "\r \t")
		n := i + 1
		if strings.TrimSpace(raw) == "" {
			if len(values) > 0 || len(ind.Caveats) > 0 || len(ind.Params) > 0 {
				break // a blank line ends the header; comments after it belong to the SQL
			}
			continue
		}
		if !strings.HasPrefix(raw, "--") {
			break
		}
		if m := headerLine.FindStringSubmatch(raw); m != nil {
			key, val := m[1], strings.TrimSpace(m[2])
			spec, ok := fields[key]
			if !ok {
				fail(n, "unknown header field %q", key)
				last = ""
				continue
			}
			if val == "" {
				fail(n, "header field %q is empty", key)
			}
			if spec.repeatable {
				switch key {
				case "caveat":
					ind.Caveats = append(ind.Caveats, val)
					lastIdx = len(ind.Caveats) - 1
				case "param":
					p, err := parseParam(val)
					if err != nil {
						fail(n, "%v", err)
					} else {
						ind.Params = append(ind.Params, p)
						ind.lines["param:"+p.Name] = n
					}
					lastIdx = -1
				}
			} else {
				if _, dup := values[key]; dup {
					fail(n, "header field %q repeated (first on line %d)", key, ind.lines[key])
				}
				values[key] = val
			}
			if _, seen := ind.lines[key]; !seen {
				ind.lines[key] = n
			}
			last = key
			continue
		}
		// "--   more text": continues the previous field.
		cont := strings.TrimPrefix(raw, "--")
		if last != "" && strings.HasPrefix(cont, "  ") {
			cont = strings.TrimSpace(cont)
			switch {
			case last == "caveat" && lastIdx >= 0:
				ind.Caveats[lastIdx] += " " + cont
			case last == "param":
				fail(n, "a param does not continue on the next line")
			default:
				values[last] += " " + cont
			}
			continue
		}
		if strings.TrimSpace(cont) == "" { // "--" alone separates paragraphs
			last = ""
			continue
		}
		fail(n, "header line is not \"-- field: value\" (fields: %s)", fieldList())
		last = ""
	}
	// The SQL starts at the first line that is neither blank nor a comment.
	ind.bodyLine = i + 1
	for j := i; j < len(lines); j++ {
		if t := strings.TrimSpace(lines[j]); t != "" && !strings.HasPrefix(t, "--") {
			ind.bodyLine = j + 1
			break
		}
	}
	body := strings.TrimSpace(strings.Join(lines[i:], "\n"))
	if body == "" {
		fail(len(lines), "no SQL after the header")
	}

	for key, spec := range fields {
		if _, ok := values[key]; spec.required && !ok {
			errs = append(errs, &FileError{File: name, Line: 1, Err: fmt.Errorf("missing header field %q", key)})
		}
	}
	ind.ID = values["id"]
	ind.Title = values["title"]
	ind.Definition = values["definition"]
	ind.Numerator = values["numerator"]
	ind.Denominator = values["denominator"]
	ind.Weight = values["weight"]
	ind.Sentence = values["sentence"]

	if v, ok := values["id"]; ok {
		if !idPattern.MatchString(v) {
			fail(ind.lines["id"], "id %q must be lower case letters, digits and underscores", v)
		} else if stem := strings.TrimSuffix(path.Base(name), ".sql"); stem != v {
			fail(ind.lines["id"], "id %q does not match the file name %q", v, path.Base(name))
		}
	}
	if v, ok := values["unit"]; ok {
		ind.Unit = Unit(v)
		if !contains(units, ind.Unit) {
			fail(ind.lines["unit"], "unknown unit %q (want one of: %s)", v, joinQuoted(units))
		}
	}
	if v, ok := values["polarity"]; ok {
		ind.Polarity = Polarity(v)
		if !contains([]Polarity{HigherIsBetter, HigherIsWorse, Neutral}, ind.Polarity) {
			fail(ind.lines["polarity"], "unknown polarity %q (want \"higher is better\", \"higher is worse\" or \"neutral\")", v)
		}
	}
	if v, ok := values["rule"]; ok {
		ind.Rule = Rule(v)
		switch ind.Rule {
		case RuleRatio:
			if ind.Numerator == "" || ind.Denominator == "" {
				fail(ind.lines["rule"], "rule ratio needs numerator and denominator fields")
			}
			if !contains([]Unit{UnitPercent, UnitPer1000, UnitPer10000, UnitPoundsPerHead}, ind.Unit) && ind.Unit != "" {
				fail(ind.lines["unit"], "unit %q does not suit rule ratio (use %%, per 1,000, per 10,000 or £ per head)", ind.Unit)
			}
		case RuleMean:
			if ind.Weight == "" {
				fail(ind.lines["rule"], "rule mean needs a weight field")
			}
			if ind.Unit == UnitCount || ind.Unit == UnitPercent {
				fail(ind.lines["unit"], "unit %q does not suit rule mean (a percentage is a ratio of sums)", ind.Unit)
			}
		case RuleSum:
			if ind.Unit != UnitCount && ind.Unit != "" {
				fail(ind.lines["unit"], "rule sum is for counts (unit count), not %q", ind.Unit)
			}
		default:
			fail(ind.lines["rule"], "unknown rule %q (want ratio, mean or sum)", v)
		}
	}
	if v, ok := values["ci"]; ok {
		ind.CI = CIMethod(v)
		switch ind.CI {
		case CIWilson:
			if ind.Rule != RuleRatio || ind.Unit != UnitPercent {
				fail(ind.lines["ci"], "ci wilson is for proportions (rule ratio, unit %%)")
			}
		case CIByar:
			if ind.Rule != RuleRatio || (ind.Unit != UnitPer1000 && ind.Unit != UnitPer10000) {
				fail(ind.lines["ci"], "ci byar is for rates (rule ratio, unit per 1,000 or per 10,000)")
			}
		case CINone:
		default:
			fail(ind.lines["ci"], "unknown ci %q (want wilson, byar or none)", v)
		}
	} else {
		ind.CI = defaultCI(ind.Rule, ind.Unit)
	}
	if v, ok := values["geography"]; ok {
		ind.Geography = Geography(v)
		if !contains([]Geography{GeoLSOA11, GeoLSOA21, GeoLAD}, ind.Geography) {
			fail(ind.lines["geography"], "unknown geography %q (want lsoa11, lsoa21 or lad)", v)
		}
	}
	if v, ok := values["levels"]; ok {
		for _, l := range splitList(v) {
			if !contains(levels, l) {
				fail(ind.lines["levels"], "unknown level %q (want %s)", l, strings.Join(levels, ", "))
			}
			ind.Levels = append(ind.Levels, l)
		}
	}
	if ind.Geography == GeoLAD {
		for _, l := range ind.Levels {
			if l != LevelLAD && l != LevelCountry {
				fail(ind.lines["levels"], "geography lad can only be shown for levels lad and country, not %q", l)
			}
		}
		if len(ind.Levels) == 0 {
			ind.Levels = []string{LevelLAD, LevelCountry}
		}
	}
	if v, ok := values["sources"]; ok {
		for _, item := range splitList(v) {
			m := sourceItem.FindStringSubmatch(item)
			if m == nil {
				fail(ind.lines["sources"], "source %q is not \"dataset (table)\" or \"* (table)\"", item)
				continue
			}
			ind.Sources = append(ind.Sources, Source{Dataset: m[1], Table: m[2]})
		}
	}
	if v, ok := values["sentence"]; ok {
		if err := checkTemplate(v); err != nil {
			fail(ind.lines["sentence"], "sentence: %v", err)
		}
	}

	// Parameters used in the SQL (outside comments), with the line of
	// their first use; every one must be declared, and every declared one used.
	for ln := i + 1; ln <= len(lines); ln++ {
		code := stripComment(lines[ln-1])
		for _, m := range dollarParam.FindAllStringSubmatch(code, -1) {
			if _, ok := ind.paramLine[m[1]]; !ok {
				ind.paramLine[m[1]] = ln
			}
		}
	}
	declared := map[string]bool{}
	for _, p := range ind.Params {
		if declared[p.Name] {
			fail(ind.lines["param:"+p.Name], "param %q declared twice", p.Name)
		}
		declared[p.Name] = true
		if _, used := ind.paramLine[p.Name]; !used {
			fail(ind.lines["param:"+p.Name], "param %q is declared but the SQL does not use $%s", p.Name, p.Name)
		}
	}
	for p, ln := range ind.paramLine {
		if !declared[p] {
			fail(ln, "undeclared parameter $%s (declare it: -- param: %s integer = 12)", p, p)
		}
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	return ind, nil
}

func defaultCI(r Rule, u Unit) CIMethod {
	if r != RuleRatio {
		return CINone
	}
	switch u {
	case UnitPercent:
		return CIWilson
	case UnitPer1000, UnitPer10000:
		return CIByar
	}
	return CINone
}

func parseParam(v string) (Param, error) {
	m := paramPattern.FindStringSubmatch(v)
	if m == nil {
		return Param{}, fmt.Errorf("param %q is not \"name type = default\" (types: integer, double, text, date)", v)
	}
	p := Param{Name: m[1], Type: m[2]}
	def := strings.TrimSpace(m[3])
	switch p.Type {
	case "integer":
		n, err := strconv.ParseInt(def, 10, 64)
		if err != nil {
			return p, fmt.Errorf("param %s: default %q is not an integer", p.Name, def)
		}
		p.Default = n
	case "double":
		f, err := strconv.ParseFloat(def, 64)
		if err != nil {
			return p, fmt.Errorf("param %s: default %q is not a number", p.Name, def)
		}
		p.Default = f
	default:
		p.Default = strings.Trim(def, `'"`)
	}
	return p, nil
}

// stripComment drops a -- comment from a line of SQL (ignoring -- inside
// single-quoted strings).
func stripComment(line string) string {
	in := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\'':
			in = !in
		case !in && line[i] == '-' && i+1 < len(line) && line[i+1] == '-':
			return line[:i]
		}
	}
	return line
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinQuoted[T ~string](list []T) string {
	var q []string
	for _, x := range list {
		q = append(q, strconv.Quote(string(x)))
	}
	return strings.Join(q, ", ")
}

func fieldList() string {
	return "id, title, definition, unit, polarity, rule, numerator, denominator, weight, ci, sources, geography, levels, param, caveat, sentence"
}

// sortErrors orders file errors by line.
func sortErrors(errs []error) {
	line := func(e error) int {
		var fe *FileError
		if errors.As(e, &fe) {
			return fe.Line
		}
		return 0
	}
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && line(errs[j]) < line(errs[j-1]); j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// appliesTo reports whether the indicator is shown for an area level.
func (ind *Indicator) appliesTo(level string) bool {
	return len(ind.Levels) == 0 || contains(ind.Levels, level)
}
