package queries

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"commonground/warehouse"
)

// Area identifies an area.
type Area struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// Status says whether an estimate has a value to show.
type Status string

// The statuses.
const (
	StatusOK           Status = "ok"
	StatusNoData       Status = "no data"       // no LSOA of the area has data
	StatusSuppressed   Status = "suppressed"    // denominator (or weight) below 100
	StatusNotAvailable Status = "not available" // not computed for this kind of area
	// StatusPartial: a comparator (England, the local authority) whose
	// figure covers too few of its LSOAs to stand for it (MinCoverage):
	// GP practices located in one authority are not England's.
	StatusPartial Status = "partial data"
)

// Small-number rules (see docs/INDICATORS.md).
const (
	// MinDenominator: below it a value is suppressed.
	MinDenominator = 100
	// MinNumerator: below it a value is shown as "about" with a caveat.
	MinNumerator = 5
	// MinCoverage: a comparator built from a smaller share of its LSOAs
	// is shown but not compared.
	MinCoverage = 0.95
)

// Estimate is an indicator's value for one area.
type Estimate struct {
	Status Status  `json:"status"`
	Value  float64 `json:"value"`
	// Numerator and Denominator of a ratio; Weight (population) of a mean.
	Numerator   float64   `json:"numerator,omitempty"`
	Denominator float64   `json:"denominator,omitempty"`
	Weight      float64   `json:"weight,omitempty"`
	CI95        *Interval `json:"ci95,omitempty"`
	CI998       *Interval `json:"ci998,omitempty"`
	// Small: the numerator is above 0 but below MinNumerator ("about").
	Small bool `json:"small,omitempty"`
	// LSOAs with data among the area's Members (for a lad-geography
	// indicator both are 1).
	LSOAs   int `json:"lsoas"`
	Members int `json:"members"`
}

// Comparison is a comparator (the parent local authority or England) and
// how the area compares with it.
type Comparison struct {
	Area Area `json:"area"`
	Estimate
	// Significance at 95% and 99.8%: the comparator's value outside the
	// area's confidence interval (Fingertips).
	Significance    Significance `json:"significance"`
	Significance998 Significance `json:"significance_998"`
	Judgement       Judgement    `json:"judgement"`
	RAG             RAG          `json:"rag"`
	// Note explains a comparator that is shown but not compared.
	Note string `json:"note,omitempty"`
}

// Result is one indicator for one area.
type Result struct {
	Indicator Indicator `json:"indicator"`
	Area      Area      `json:"area"`
	Estimate
	Parent  *Comparison `json:"parent,omitempty"`
	England *Comparison `json:"england,omitempty"`
	// Decile and Quintile of an LSOA among England's LSOAs (1 = lowest
	// value); 0 for other areas.
	Decile   int `json:"decile,omitempty"`
	Quintile int `json:"quintile,omitempty"`
	// Rank of a local authority among those with data (1 = highest value)
	// and the number ranked; 0 for other areas.
	Rank       int          `json:"rank,omitempty"`
	RankOf     int          `json:"rank_of,omitempty"`
	Sentence   string       `json:"sentence"`
	Caveats    []string     `json:"caveats,omitempty"`
	Provenance []Provenance `json:"provenance"`
}

// Value is one area's value in Values, compared with England.
type Value struct {
	Area Area `json:"area"`
	Estimate
	Significance Significance `json:"significance"`
	Judgement    Judgement    `json:"judgement"`
	RAG          RAG          `json:"rag"`
	Decile       int          `json:"decile,omitempty"`
	Quintile     int          `json:"quintile,omitempty"`
	Rank         int          `json:"rank,omitempty"`
	RankOf       int          `json:"rank_of,omitempty"`
}

// resolved is an area with its parent and its LSOAs per vintage.
type resolved struct {
	Area
	parent  string
	members map[int][]int32
}

// resolve finds an area and its LSOAs, from the geography index. An area
// the index lacks is looked for in the warehouse (written since the index
// was read, without a new ingest run): if it is there, the index is read
// again.
func (ch *cache) resolve(ctx context.Context, code string, geo *geography) (*resolved, error) {
	ix, err := ch.areas(ctx)
	if err != nil {
		return nil, err
	}
	if e := ix.entries[code]; e == nil || (e.res == nil && e.memberLevel == "") {
		ok, err := areaInWarehouse(ctx, ch.db, code, "")
		if err != nil {
			return nil, err
		}
		if ok {
			ch.sh.refreshAreas()
			if ix, err = ch.areas(ctx); err != nil {
				return nil, err
			}
		}
	}
	return ch.resolveIn(ix, code, geo)
}

func (ch *cache) resolveIn(ix *areaIndex, code string, geo *geography) (*resolved, error) {
	r := &resolved{Area: Area{Code: code}, members: map[int][]int32{}}
	e := ix.entries[code]
	if e == nil || (e.res == nil && e.memberLevel == "") {
		return nil, fmt.Errorf("%w: no area %q in the warehouse (give an LSOA, ward, MSOA or local authority code, %s for England, or a custom area's code; is its boundary loaded?)",
			ErrNotFound, code, EnglandCode)
	}
	var ladCode string
	if e.res != nil {
		r.Level, r.Name, ladCode = e.res.level, e.res.name.String, e.res.lad.String
	} else {
		r.Level = e.memberLevel
	}
	for _, m := range e.members {
		r.members[m.vintage] = m.lsoas // shared with the index: read only
	}
	if strings.HasPrefix(code, "E01") || strings.HasPrefix(code, "W01") {
		// An LSOA is itself in every vintage its code exists in (ONS keeps
		// the code of an unchanged LSOA), whether or not that vintage's
		// boundaries are loaded; a table with no row for it has no data.
		self := ch.intern([]string{code})[0]
		for _, v := range []int{2011, 2021} {
			if len(r.members[v]) == 0 {
				r.members[v] = []int32{self}
			}
		}
	}
	switch r.Level {
	case LevelCountry:
		if r.Name == "" {
			r.Name = "England"
		}
		return r, nil
	case LevelLAD:
		if r.Name == "" {
			r.Name = geo.ladNames[code]
		}
		return r, nil
	}
	if r.Name == "" {
		r.Name = ix.lookupName(code)
	}
	if r.Name == "" {
		r.Name = code
	}
	// The parent local authority: the area's own for LSOAs, wards and
	// MSOAs; for custom areas (and areas without one), the authority
	// holding most of the area's residents.
	r.parent = ladCode
	if r.Level == LevelCustom || r.parent == "" {
		r.parent = ix.majorityLAD(code)
	}
	return r, nil
}

// ForArea computes every indicator (or those named by ids) for one area:
// value, confidence intervals, the parent local authority's and England's
// values with significance calls and RAG colours, decile (LSOAs) or rank
// (local authorities), a sentence, caveats and provenance. Unknown areas
// and ids give errors wrapping ErrNotFound. An indicator with no data for
// the area has StatusNoData; one not computed for the area's level has
// StatusNotAvailable.
func (c *Catalog) ForArea(ctx context.Context, db *warehouse.DB, areaCode string, ids ...string) ([]Result, error) {
	inds := c.list
	if len(ids) > 0 {
		inds = nil
		for _, id := range ids {
			ind, err := c.lookup(id)
			if err != nil {
				return nil, err
			}
			inds = append(inds, ind)
		}
	}
	ch, err := c.cacheFor(ctx, db)
	if err != nil {
		return nil, err
	}
	geo, err := ch.geography(ctx)
	if err != nil {
		return nil, err
	}
	area, err := ch.resolve(ctx, strings.TrimSpace(areaCode), geo)
	if err != nil {
		return nil, err
	}
	prov, err := ch.provenance(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := c.tables(ctx, ch, inds)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(inds))
	for i, ind := range inds {
		out[i] = ch.result(ind, tables[i], area, geo, prov)
	}
	return out, nil
}

// estimate turns sums into an estimate, with intervals and the
// small-number rules applied.
func (t *table) estimate(g agg) Estimate {
	e := Estimate{LSOAs: g.n, Members: g.members}
	v, ok := t.value(g)
	if !ok {
		e.Status = StatusNoData
		return e
	}
	e.Status, e.Value = StatusOK, v
	switch t.ind.Rule {
	case RuleRatio:
		e.Numerator, e.Denominator = g.a, g.b
		e.CI95, e.CI998 = intervals(t.ind.CI, g.a, g.b, t.ind.Unit.multiplier())
		if g.b < MinDenominator {
			return Estimate{Status: StatusSuppressed, LSOAs: g.n, Members: g.members}
		}
		e.Small = g.a > 0 && g.a < MinNumerator
	case RuleMean:
		e.Weight = g.b
		if g.b < MinDenominator {
			return Estimate{Status: StatusSuppressed, LSOAs: g.n, Members: g.members}
		}
	}
	return e
}

// coverage is the share of a set's LSOAs that have data.
func coverage(n, members int) float64 {
	if members == 0 {
		return 0
	}
	return float64(n) / float64(members)
}

// compare builds a comparator and the area's comparison with it.
func compareWith(ind *Indicator, area Estimate, a Area, ce Estimate) *Comparison {
	cmp := &Comparison{Area: a, Estimate: ce, Significance: SigNotCompared, Significance998: SigNotCompared}
	switch {
	case ce.Status != StatusOK:
	case coverage(ce.LSOAs, ce.Members) < MinCoverage:
		cmp.Note = fmt.Sprintf("The %s figure covers only %s of its %s neighbourhoods (LSOAs), so it is neither shown nor compared.",
			nameOf(a), thousands(float64(ce.LSOAs)), thousands(float64(ce.Members)))
		// Its value stays for the API, marked: pages show "partial data".
		cmp.Estimate.Status = StatusPartial
	case area.Status == StatusOK:
		cmp.Significance = Compare(area.CI95, ce.Value)
		cmp.Significance998 = Compare(area.CI998, ce.Value)
	}
	cmp.Judgement = Judge(cmp.Significance, ind.Polarity)
	cmp.RAG = Colour(cmp.Judgement, ind.Polarity)
	return cmp
}

// englandMembers is the number of LSOAs England's figure should cover:
// every English LSOA the indicator returns, those England has in
// area_lsoas, and, from the other LSOA vintage's count, at least 97% of it
// (England has 32,844 LSOAs 2011 and 33,755 LSOAs 2021): with 2011
// boundaries for all of England but 2021 ones for Greater Manchester only,
// a 2021 indicator covers Greater Manchester, not England.
func englandMembers(t *table, geo *geography, vintage int) int {
	n := max(t.englishRows, geo.country[vintage])
	for v, c := range geo.country {
		if v != vintage {
			n = max(n, c*97/100)
		}
	}
	return n
}

func nameOf(a Area) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Code
}

// result computes one indicator for a resolved area.
func (ch *cache) result(ind *Indicator, t *table, area *resolved, geo *geography, prov *provenance) Result {
	r := Result{Indicator: *ind, Area: area.Area, Provenance: prov.of(ind)}
	r.Caveats = append(r.Caveats, ind.Caveats...)
	if !ind.appliesTo(area.Level) {
		r.Status = StatusNotAvailable
		r.Sentence = notAvailableSentence(ind, area.Area)
		return r
	}
	vintage := ind.Geography.vintage()
	var lads map[string][]int32
	if vintage != 0 {
		lads = geo.lads[vintage]
	}
	t.laTable(lads, ch.code)

	england := t.england
	if ind.Geography != GeoLAD {
		england.members = englandMembers(t, geo, vintage)
	}

	// The area itself.
	var g agg
	switch {
	case area.Level == LevelCountry:
		g = england
	case ind.Geography == GeoLAD:
		g = t.la[area.Code]
		g.members = 1
	default:
		g = t.sum(area.members[vintage])
	}
	r.Estimate = t.estimate(g)
	if ind.Geography == GeoLAD && area.Level == LevelCountry && !t.hasEngland {
		r.Status = StatusNotAvailable
		r.Sentence = fmt.Sprintf("%s has no England figure: the data cover only some councils.", ind.Title)
		return r
	}

	// Comparators: the parent local authority (for areas below one) and
	// England (for every area but England).
	if area.parent != "" && area.Level != LevelLAD && area.Level != LevelCountry && ind.Geography != GeoLAD {
		pa := Area{Code: area.parent, Name: geo.ladNames[area.parent], Level: LevelLAD}
		var pg agg
		if m, ok := lads[area.parent]; ok {
			pg = t.sum(m)
		}
		r.Parent = compareWith(ind, r.Estimate, pa, t.estimate(pg))
	}
	if area.Level != LevelCountry && (ind.Geography != GeoLAD || t.hasEngland) {
		r.England = compareWith(ind, r.Estimate, Area{Code: EnglandCode, Name: "England", Level: LevelCountry}, t.estimate(england))
	}
	if ind.Rule == RuleSum { // counts of different-sized areas are not compared
		for _, cmp := range []*Comparison{r.Parent, r.England} {
			if cmp != nil {
				cmp.Significance, cmp.Significance998, cmp.Judgement, cmp.RAG = SigNotCompared, SigNotCompared, JudgeNotCompared, Grey
			}
		}
	}

	if r.Status == StatusOK {
		switch area.Level {
		case LevelLSOA11, LevelLSOA21:
			if _, ok := t.value(g); ok && len(area.members[vintage]) == 1 && strings.HasPrefix(area.Code, "E01") {
				r.Decile, r.Quintile = t.decile(r.Value)
			}
		case LevelLAD:
			r.Rank, r.RankOf = t.rank(r.Value)
		}
	}
	r.Caveats = append(r.Caveats, numberCaveats(ind, r.Estimate, area.Area)...)
	for _, cmp := range []*Comparison{r.Parent, r.England} {
		if cmp != nil && cmp.Note != "" {
			r.Caveats = append(r.Caveats, cmp.Note)
		}
	}
	r.Sentence = sentence(ind, &r, len(t.rows) > 0)
	return r
}

// numberCaveats explains small numbers and incomplete coverage.
func numberCaveats(ind *Indicator, e Estimate, a Area) []string {
	var out []string
	switch e.Status {
	case StatusOK:
		if e.Small {
			out = append(out, fmt.Sprintf("Based on fewer than %d (%s): a small number, so treat it with care.", MinNumerator, ind.Numerator))
		}
		if e.LSOAs < e.Members && ind.Geography != GeoLAD {
			out = append(out, fmt.Sprintf("Based on the %s of %s's %s neighbourhoods (LSOAs) that have data.",
				thousands(float64(e.LSOAs)), nameOf(a), thousands(float64(e.Members))))
		}
	case StatusSuppressed:
		out = append(out, fmt.Sprintf("Not shown: fewer than %d in the denominator (%s), too few for a reliable figure.", MinDenominator, strings.ToLower(firstNonEmpty(ind.Denominator, ind.Weight))))
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Values computes one indicator for every area of a level within a parent
// area (within is an area code; "" means all of England), sorted by area
// code, each compared with England. level is lsoa11, lsoa21 (or "lsoa" for
// the indicator's own LSOA vintage), ward, msoa21, lad, country or custom.
// Areas that straddle the parent are included whole. An unknown id or
// parent gives an error wrapping ErrNotFound; a level the indicator is not
// computed at, one wrapping ErrNotAvailable.
func (c *Catalog) Values(ctx context.Context, db *warehouse.DB, id, level, within string) ([]Value, error) {
	ind, err := c.lookup(id)
	if err != nil {
		return nil, err
	}
	if level == "lsoa" && ind.Geography != GeoLAD {
		level = string(ind.Geography)
	}
	if !contains(levels, level) {
		return nil, fmt.Errorf("%w: unknown level %q (want lsoa, %s)", ErrNotAvailable, level, strings.Join(levels, ", "))
	}
	if (level == LevelLSOA11 || level == LevelLSOA21) && level != string(ind.Geography) {
		return nil, fmt.Errorf("%w: %s is computed on %s boundaries; ask for level %s", ErrNotAvailable, id, levelName(string(ind.Geography)), ind.Geography)
	}
	if !ind.appliesTo(level) {
		return nil, fmt.Errorf("%w: %s is not computed for level %s (only %s)", ErrNotAvailable, id, level, strings.Join(ind.Levels, ", "))
	}
	ch, err := c.cacheFor(ctx, db)
	if err != nil {
		return nil, err
	}
	geo, err := ch.geography(ctx)
	if err != nil {
		return nil, err
	}
	t, err := ch.table(ctx, ind)
	if err != nil {
		return nil, err
	}
	vintage := ind.Geography.vintage()
	t.laTable(geo.lads[vintage], ch.code)
	england := t.england
	if ind.Geography != GeoLAD {
		england.members = englandMembers(t, geo, vintage)
	}
	eng := t.estimate(england)
	engOK := eng.Status == StatusOK && coverage(eng.LSOAs, eng.Members) >= MinCoverage && (ind.Geography != GeoLAD || t.hasEngland)

	// Membership of the areas asked for.
	var areas map[string][]int32
	var extra []string // English LSOAs the indicator has but area_lsoas lacks
	switch {
	case level == LevelCountry:
	case ind.Geography == GeoLAD:
		areas = map[string][]int32{}
		for code := range t.la {
			areas[code] = nil
		}
	case level == LevelLAD && within == "":
		areas = geo.lads[vintage]
	case within == "":
		if areas, err = ch.membership(ctx, level, vintage); err != nil {
			return nil, fmt.Errorf("values %s: %w", id, err)
		}
		if level == string(ind.Geography) {
			// Every English LSOA the indicator has, boundary loaded or not.
			for _, n := range t.rows {
				if code := ch.code(n); strings.HasPrefix(code, "E01") {
					if _, ok := areas[code]; !ok {
						extra = append(extra, code)
					}
				}
			}
		}
	default:
		if _, err := ch.resolve(ctx, within, geo); err != nil {
			return nil, err
		}
		if areas, err = ch.members(ctx, level, vintage, within); err != nil {
			return nil, fmt.Errorf("values %s: %w", id, err)
		}
	}

	names, err := ch.names(ctx, level, geo)
	if err != nil {
		return nil, err
	}
	var out []Value
	add := func(code string, g agg) {
		v := Value{Area: Area{Code: code, Name: names[code], Level: level}, Estimate: t.estimate(g)}
		v.Significance = SigNotCompared
		if engOK && v.Status == StatusOK && level != LevelCountry && ind.Rule != RuleSum {
			v.Significance = Compare(v.CI95, eng.Value)
		}
		v.Judgement = Judge(v.Significance, ind.Polarity)
		v.RAG = Colour(v.Judgement, ind.Polarity)
		if v.Status == StatusOK {
			switch level {
			case LevelLSOA11, LevelLSOA21:
				v.Decile, v.Quintile = t.decile(v.Value)
			case LevelLAD:
				v.Rank, v.RankOf = t.rank(v.Value)
			}
		}
		out = append(out, v)
	}
	switch {
	case level == LevelCountry:
		if ind.Geography == GeoLAD && !t.hasEngland {
			return nil, fmt.Errorf("%w: %s has no England figure", ErrNotAvailable, id)
		}
		add(EnglandCode, england)
	case ind.Geography == GeoLAD:
		for code := range areas {
			g := t.la[code]
			g.members = 1
			add(code, g)
		}
	default:
		for code, m := range areas {
			add(code, t.sum(m))
		}
		for _, code := range extra {
			add(code, t.sum(ch.intern([]string{code})))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Area.Code < out[j].Area.Code })
	return out, nil
}

// members is the LSOAs of the areas of a level, within a parent area
// when within is not "" (areas straddling it are included whole), from
// the geography index. The map's slices are shared and must not be
// changed; for within "" so is the map.
func (ch *cache) members(ctx context.Context, level string, vintage int, within string) (map[string][]int32, error) {
	ix, err := ch.areas(ctx)
	if err != nil {
		return nil, err
	}
	return ix.members(level, vintage, within), nil
}

// membership is members for all of England (the map is shared and must
// not be changed).
func (ch *cache) membership(ctx context.Context, level string, vintage int) (map[string][]int32, error) {
	return ch.members(ctx, level, vintage, "")
}

// names returns the names of a level's areas (from the geography index,
// built once per version; the map is shared and must not be changed).
func (ch *cache) names(ctx context.Context, level string, geo *geography) (map[string]string, error) {
	switch level {
	case LevelLAD:
		return geo.ladNames, nil
	case LevelCountry:
		return map[string]string{EnglandCode: "England"}, nil
	}
	ix, err := ch.areas(ctx)
	if err != nil {
		return nil, fmt.Errorf("names of %s areas: %w", level, err)
	}
	return ix.levelNames(level), nil
}
