package queries

import (
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The expected numbers in this file are computed here, straight from the
// shared CSV files (read with encoding/csv, not the ingest pipeline) or
// with SQL that does not use area_lsoas, never by the code under test.

func atof(t testing.TB, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return f
}

// iod2019 reads IoD2019 Files 1 and 6: IMD decile, 2019 local authority
// and mid-2015 population of every LSOA 2011.
type iodRow struct {
	lad    string
	decile int
	pop    float64
}

func iod2019(t testing.TB) map[string]iodRow {
	t.Helper()
	out := map[string]iodRow{}
	readCSV(t, "deprivation/iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz", func(r map[string]string) {
		out[r["LSOA code (2011)"]] = iodRow{lad: r["Local Authority District code (2019)"], decile: int(atof(t, r["Index of Multiple Deprivation (IMD) Decile"]))}
	})
	readCSV(t, "deprivation/iod2019/File_6_-_IoD2019_Population_Denominators.csv.gz", func(r map[string]string) {
		row := out[r["LSOA code (2011)"]]
		row.pop = atof(t, r["Total population: mid 2015 (excluding prisoners)"])
		out[r["LSOA code (2011)"]] = row
	})
	return out
}

// lsoa11LAD21 maps LSOA 2011 to local authority 2021 (the ONS lookup file).
func lsoa11LAD21(t testing.TB) map[string]string {
	out := map[string]string{}
	readCSV(t, "lookups/LSOA11_WD21_LAD21_EW_LU.csv", func(r map[string]string) { out[r["LSOA11CD"]] = r["LAD21CD"] })
	return out
}

// gm21 maps Greater Manchester LSOA 2021 to ward and local authority.
func gm21(t testing.TB) (ward, lad map[string]string) {
	ward, lad = map[string]string{}, map[string]string{}
	readCSV(t, "lookups/greater_manchester/gm_lsoa21_to_ward22_best-fit_lookup.csv", func(r map[string]string) {
		ward[r["lsoa21cd"]], lad[r["lsoa21cd"]] = r["wd22cd"], r["lad22cd"]
	})
	return ward, lad
}

// census reads Census 2021 residents by LSOA 2021: all ages and by band.
type censusRow struct{ all, age0to15, age65plus float64 }

func census(t testing.TB) map[string]censusRow {
	out := map[string]censusRow{}
	readCSV(t, "population/census2021/census21_pop_lsoa21_age6_derived.csv.gz", func(r map[string]string) {
		c := out[r["lsoa21_code"]]
		n := atof(t, r["usual_residents"])
		c.all += n
		switch r["age_group"] {
		case "Aged 15 years and under":
			c.age0to15 += n
		case "Aged 65 years and over":
			c.age65plus += n
		}
		out[r["lsoa21_code"]] = c
	})
	return out
}

type imd25Row struct {
	decile int
	score  float64
}

func imd2025(t testing.TB) map[string]imd25Row {
	out := map[string]imd25Row{}
	readCSV(t, "deprivation/iod2025_derived/imd2025_england_lsoa21.csv", func(r map[string]string) {
		out[r["lsoa21_code"]] = imd25Row{decile: int(atof(t, r["IMD_decile"])), score: atof(t, r["IMD_score"])}
	})
	return out
}

// wilsonBySearch solves the score test for the Wilson limits (a second
// method; see TestWilsonAgainstScoreTest).
func wilsonBySearch(x, n, z float64) (lo, hi float64) {
	inside := func(p float64) bool { return math.Abs(x/n-p) <= z*math.Sqrt(p*(1-p)/n) }
	search := func(a, b float64, lower bool) float64 {
		for i := 0; i < 200; i++ {
			m := (a + b) / 2
			if inside(m) == lower {
				b = m
			} else {
				a = m
			}
		}
		return (a + b) / 2
	}
	return search(0, x/n, true), search(x/n, 1, false)
}

func TestShareMostDeprivedIMD2019(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	iod := iod2019(t)
	var bpNum, bpDen, engNum, engDen float64
	for code, r := range iod {
		if !strings.HasPrefix(code, "E01") {
			continue
		}
		engDen += r.pop
		if r.decile == 1 {
			engNum += r.pop
		}
		if r.lad == "E06000009" {
			bpDen += r.pop
			if r.decile == 1 {
				bpNum += r.pop
			}
		}
	}
	rs, err := c.ForArea(t.Context(), db, "E06000009", "imd2019_most_deprived_10pc")
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Numerator != bpNum || r.Denominator != bpDen || r.LSOAs != 94 || r.Members != 94 {
		t.Errorf("Blackpool: %v/%v over %d of %d LSOAs, want %v/%v over 94", r.Numerator, r.Denominator, r.LSOAs, r.Members, bpNum, bpDen)
	}
	near(t, "Blackpool share", r.Value, 100*bpNum/bpDen, 1e-9)
	if r.England == nil || r.England.Numerator != engNum || r.England.Denominator != engDen {
		t.Errorf("England: %+v, want %v/%v", r.England, engNum, engDen)
	}
	// Not an average of percentages: the mean of Blackpool's LSOA shares
	// (0% or 100% each) is the share of LSOAs, which differs.
	var lsoasInD1, lsoas float64
	for _, row := range iod {
		if row.lad == "E06000009" {
			lsoas++
			if row.decile == 1 {
				lsoasInD1++
			}
		}
	}
	if math.Abs(100*lsoasInD1/lsoas-r.Value) < 0.1 {
		t.Errorf("the population share (%.2f%%) should differ from the share of LSOAs (%.2f%%)", r.Value, 100*lsoasInD1/lsoas)
	}
	// No confidence interval is declared, so nothing is significant.
	if r.CI95 != nil || r.England.Significance != SigNotCompared || r.England.RAG != Grey {
		t.Errorf("ci none: %+v", r.England)
	}

	// Rank among local authorities (2021 codes, from the ONS lookup file).
	lad21 := lsoa11LAD21(t)
	type sums struct{ num, den float64 }
	byLAD := map[string]*sums{}
	for code, row := range iod {
		lad, ok := lad21[code]
		if !ok {
			continue
		}
		s := byLAD[lad]
		if s == nil {
			s = &sums{}
			byLAD[lad] = s
		}
		s.den += row.pop
		if row.decile == 1 {
			s.num += row.pop
		}
	}
	bp := byLAD["E06000009"].num / byLAD["E06000009"].den
	rank := 1
	for _, s := range byLAD {
		if s.num/s.den > bp {
			rank++
		}
	}
	if r.Rank != rank || r.RankOf != len(byLAD) {
		t.Errorf("Blackpool ranks %d of %d, want %d of %d", r.Rank, r.RankOf, rank, len(byLAD))
	}
	if !strings.HasPrefix(r.Sentence, "40% of residents in Blackpool live in the 10% most deprived neighbourhoods in England, more than four") &&
		!strings.HasPrefix(r.Sentence, "40% of residents in Blackpool live in the 10% most deprived neighbourhoods in England, more than three times the England average (9.9%).") {
		t.Errorf("sentence: %s", r.Sentence)
	}
}

func TestIMD2025AndCensusForTrafford(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	imd := imd2025(t)
	pop := census(t)
	_, gmLAD := gm21(t)
	var num, den, scoreW, old, young, total float64
	n := 0
	for code, lad := range gmLAD {
		if lad != "E08000009" {
			continue
		}
		n++
		p := pop[code]
		total += p.all
		old += p.age65plus
		young += p.age0to15
		i, ok := imd[code]
		if !ok {
			t.Fatalf("no IMD 2025 for %s", code)
		}
		den += p.all
		scoreW += i.score * p.all
		if i.decile == 1 {
			num += p.all
		}
	}
	var engNum, engDen, engOld float64
	for code, i := range imd {
		p := pop[code]
		engDen += p.all
		engOld += p.age65plus
		if i.decile == 1 {
			engNum += p.all
		}
	}
	rs, err := c.ForArea(t.Context(), db, "E08000009")
	if err != nil {
		t.Fatal(err)
	}
	share := find(t, rs, "imd2025_most_deprived_10pc")
	if share.Numerator != num || share.Denominator != den || share.LSOAs != n {
		t.Errorf("Trafford 2025 decile 1: %v/%v (%d LSOAs), want %v/%v (%d)", share.Numerator, share.Denominator, share.LSOAs, num, den, n)
	}
	if share.England.Numerator != engNum || share.England.Denominator != engDen {
		t.Errorf("England 2025: %v/%v, want %v/%v", share.England.Numerator, share.England.Denominator, engNum, engDen)
	}
	score := find(t, rs, "imd2025_score")
	near(t, "population-weighted IMD 2025 score", score.Value, scoreW/den, 1e-9)
	if score.Weight != den {
		t.Errorf("weight %v, want %v", score.Weight, den)
	}
	people := find(t, rs, "population_2021")
	if people.Value != total {
		t.Errorf("Trafford 2021 residents %v, want %v", people.Value, total)
	}
	aged := find(t, rs, "population_aged_65_plus")
	near(t, "% aged 65+", aged.Value, 100*old/total, 1e-9)
	lo, hi := wilsonBySearch(old, total, z95)
	near(t, "65+ lower 95%", aged.CI95.Lower, 100*lo, 1e-6)
	near(t, "65+ upper 95%", aged.CI95.Upper, 100*hi, 1e-6)
	// England's share of residents aged 65+ (18.4%) lies above Trafford's
	// interval (17.4% to 17.7%): significantly lower, shown blue (neutral).
	engShare := 100 * engOld / engDen
	near(t, "England % aged 65+", aged.England.Value, engShare, 1e-9)
	if engShare <= 100*hi || aged.England.Significance != SigLower || aged.England.Judgement != JudgeLower || aged.England.RAG != Blue {
		t.Errorf("Trafford vs England, 65+: %+v", aged.England)
	}
	if want := "17.6% of Trafford's residents were aged 65 or over in 2021, lower than the England average (18.4%)."; !strings.HasPrefix(aged.Sentence, want) {
		t.Errorf("sentence %q, want prefix %q", aged.Sentence, want)
	}
	young15 := find(t, rs, "population_aged_0_15")
	near(t, "% aged 0-15", young15.Value, 100*young/total, 1e-9)

	// Provenance: the catalogue entry and the load in place.
	p := share.Provenance
	if len(p) != 2 || p[0].Dataset != "imd2025" || p[0].Edition != "2025" || !strings.Contains(p[0].Licence, "Open Government Licence") ||
		p[0].LoadedAt.IsZero() || p[0].RunID == 0 || p[1].Dataset != "population-census2021" {
		t.Errorf("provenance %+v", p)
	}
}

func TestWardAggregatesItsLSOAs(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// Ashton upon Mersey, Trafford: its 2021 LSOAs from the GM lookup
	// file, its 2011 LSOAs from the national lookup file.
	const ward = "E05000820"
	gmWard, _ := gm21(t)
	imd := imd2025(t)
	pop := census(t)
	var num25, den25 float64
	for code, w := range gmWard {
		if w == ward {
			den25 += pop[code].all
			if imd[code].decile <= 2 {
				num25 += pop[code].all
			}
		}
	}
	iod := iod2019(t)
	var num19, den19 float64
	readCSV(t, "lookups/LSOA11_WD21_LAD21_EW_LU.csv", func(r map[string]string) {
		if r["WD21CD"] == ward {
			den19 += iod[r["LSOA11CD"]].pop
			if iod[r["LSOA11CD"]].decile <= 2 {
				num19 += iod[r["LSOA11CD"]].pop
			}
		}
	})
	rs, err := c.ForArea(t.Context(), db, ward, "imd2025_most_deprived_20pc", "imd2019_most_deprived_20pc")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Numerator != num25 || rs[0].Denominator != den25 {
		t.Errorf("2025: %v/%v, want %v/%v", rs[0].Numerator, rs[0].Denominator, num25, den25)
	}
	if rs[1].Numerator != num19 || rs[1].Denominator != den19 {
		t.Errorf("2019: %v/%v, want %v/%v", rs[1].Numerator, rs[1].Denominator, num19, den19)
	}
	if rs[0].Parent == nil || rs[0].Parent.Area.Code != "E08000009" || rs[0].Parent.Area.Name != "Trafford" {
		t.Errorf("parent %+v", rs[0].Parent)
	}
	if rs[0].Area.Name != "Ashton upon Mersey" || rs[0].Area.Level != LevelWard {
		t.Errorf("area %+v", rs[0].Area)
	}

	// The wards of Trafford partition it: their numerators add up to
	// Trafford's, and each is what ForArea gives.
	vs, err := c.Values(t.Context(), db, "imd2025_most_deprived_20pc", LevelWard, "E08000009")
	if err != nil {
		t.Fatal(err)
	}
	var sumNum, sumDen float64
	for _, v := range vs {
		sumNum += v.Numerator
		sumDen += v.Denominator
		if v.Area.Code == ward && (v.Numerator != num25 || v.Denominator != den25) {
			t.Errorf("Values for %s: %+v", ward, v.Estimate)
		}
	}
	la, err := c.ForArea(t.Context(), db, "E08000009", "imd2025_most_deprived_20pc")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 21 || sumNum != la[0].Numerator || sumDen != la[0].Denominator {
		t.Errorf("%d wards sum to %v/%v, Trafford is %v/%v", len(vs), sumNum, sumDen, la[0].Numerator, la[0].Denominator)
	}
}

func TestLSOADecileAndValuesForAllLSOAs(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// National decile of Trafford 025A's share aged 65+, among English LSOAs.
	pop := census(t)
	imd := imd2025(t) // England's LSOAs 2021
	const lsoa = "E01006074"
	share := func(r censusRow) float64 { return r.age65plus / r.all * 100 }
	v := share(pop[lsoa])
	below, n := 0, 0
	for code := range imd {
		if r, ok := pop[code]; ok && r.all > 0 {
			n++
			if share(r) < v {
				below++
			}
		}
	}
	rs, err := c.ForArea(t.Context(), db, lsoa, "population_aged_65_plus")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Decile != below*10/n+1 || rs[0].Quintile != below*5/n+1 {
		t.Errorf("decile %d quintile %d, want %d and %d (%d of %d below)", rs[0].Decile, rs[0].Quintile, below*10/n+1, below*5/n+1, below, n)
	}

	// Every LSOA 2011 in England, in one call.
	vs, err := c.Values(t.Context(), db, "imd2019_most_deprived_10pc", "lsoa", "")
	if err != nil {
		t.Fatal(err)
	}
	iod := iod2019(t)
	if len(vs) != 32844 {
		t.Fatalf("%d LSOAs, want 32,844", len(vs))
	}
	if !sort.SliceIsSorted(vs, func(i, j int) bool { return vs[i].Area.Code < vs[j].Area.Code }) {
		t.Error("values are not sorted by code")
	}
	for _, v := range vs {
		want := 0.0
		if iod[v.Area.Code].decile == 1 {
			want = 100
		}
		if v.Value != want || v.Denominator != iod[v.Area.Code].pop {
			t.Fatalf("%s: %+v, want %v of %v", v.Area.Code, v.Estimate, want, iod[v.Area.Code].pop)
		}
	}
	// LSOAs in decile 1 (100%) are in the top decile of the indicator.
	for _, v := range vs {
		if v.Area.Code == "E01012673" && (v.Decile != 10 || v.Area.Name != "Blackpool 010A") {
			t.Errorf("Blackpool 010A: %+v", v)
		}
	}

	if _, err := c.Values(t.Context(), db, "imd2019_most_deprived_10pc", LevelLSOA21, ""); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("2019 on 2021 LSOAs: %v", err)
	}
}

func TestCustomAreas(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	iod := iod2019(t)
	imd := imd2025(t)
	pop := census(t)
	var num19, den19, num25, den25 float64
	for _, code := range customMembers[customTrafford] {
		den19 += iod[code].pop
		if iod[code].decile <= 2 {
			num19 += iod[code].pop
		}
		if code == "E01005062" {
			continue // not an LSOA of 2021
		}
		den25 += pop[code].all
		if imd[code].decile <= 2 {
			num25 += pop[code].all
		}
	}
	rs, err := c.ForArea(t.Context(), db, customTrafford, "imd2019_most_deprived_20pc", "imd2025_most_deprived_20pc")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Numerator != num19 || rs[0].Denominator != den19 || rs[0].LSOAs != 6 {
		t.Errorf("custom 2019: %+v, want %v/%v", rs[0].Estimate, num19, den19)
	}
	if rs[1].Numerator != num25 || rs[1].Denominator != den25 || rs[1].LSOAs != 5 {
		t.Errorf("custom 2025: %+v, want %v/%v", rs[1].Estimate, num25, den25)
	}
	if rs[0].Area.Level != LevelCustom || rs[0].Parent == nil || rs[0].Parent.Area.Code != "E08000009" {
		t.Errorf("custom area and parent: %+v %+v", rs[0].Area, rs[0].Parent)
	}
	rs, err = c.ForArea(t.Context(), db, customBlackpool, "imd2019_most_deprived_10pc")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Parent == nil || rs[0].Parent.Area.Code != "E06000009" || rs[0].LSOAs != 4 {
		t.Errorf("Blackpool custom area: %+v parent %+v", rs[0].Estimate, rs[0].Parent)
	}
}

func TestPopulationChangeAtLADAndEngland(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	sape := map[string]float64{}
	readCSV(t, "population/pop_table_SAPE20DT1_mid2017_population_estimates.csv", func(r map[string]string) {
		sape[r["Area Codes"]] = atof(t, r["All Ages"])
	})
	pop := census(t)
	lad21 := lsoa11LAD21(t)
	_, gmLAD := gm21(t)
	var p17, p21, e17, e21 float64
	for code, lad := range lad21 {
		if lad == "E08000009" {
			p17 += sape[code]
		}
	}
	for code, lad := range gmLAD {
		if lad == "E08000009" {
			p21 += pop[code].all
		}
	}
	for code, n := range sape {
		if strings.HasPrefix(code, "E01") {
			e17 += n
		}
	}
	for code, r := range pop {
		if strings.HasPrefix(code, "E01") {
			e21 += r.all
		}
	}
	rs, err := c.ForArea(t.Context(), db, "E08000009", "population_change_2017_2021")
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Numerator != p21-p17 || r.Denominator != p17 {
		t.Errorf("Trafford change %v on %v, want %v on %v", r.Numerator, r.Denominator, p21-p17, p17)
	}
	if r.England == nil || r.England.Numerator != e21-e17 || r.England.Denominator != e17 {
		t.Errorf("England change %+v, want %v on %v", r.England, e21-e17, e17)
	}
	// Not for wards: the two years use different LSOAs.
	rs, err = c.ForArea(t.Context(), db, "E05000820", "population_change_2017_2021")
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Status != StatusNotAvailable {
		t.Errorf("change for a ward: %+v", rs[0])
	}
}

func TestNoDataAndNotFound(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// The shared IoD2019 files have no IDACI (File 3) and no scores (File 7).
	rs, err := c.ForArea(t.Context(), db, "E06000009", "imd2019_idaci_most_deprived_10pc", "imd2019_score", "distance_gp_km")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs[:2] {
		if r.Status != StatusNoData || !strings.Contains(r.Sentence, "do not include this measure") {
			t.Errorf("%s: %s %q", r.Indicator.ID, r.Status, r.Sentence)
		}
	}
	if rs[2].Status != StatusNoData || !strings.Contains(rs[2].Sentence, "nothing is loaded into the services table") {
		t.Errorf("distance without services: %q", rs[2].Sentence)
	}
	if _, err := c.ForArea(t.Context(), db, "E99999999"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `no area "E99999999"`) {
		t.Errorf("unknown area: %v", err)
	}
	if _, err := c.ForArea(t.Context(), db, "E06000009", "imd2019_most_deprived"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("unknown indicator: %v", err)
	}
	if _, err := c.Values(t.Context(), db, "imd2019_most_deprived_10pc", LevelWard, "E99999999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown parent: %v", err)
	}
}

// England is computed from every English LSOA the indicator returns. Where
// the boundaries of a vintage are all loaded (2011 here), that is the
// same as area_lsoas' England; where they are not (2021: Greater
// Manchester only), area_lsoas would give Greater Manchester.
func TestEnglandIsEveryEnglishLSOA(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.ForArea(t.Context(), db, EnglandCode, "imd2019_most_deprived_10pc", "imd2025_most_deprived_10pc")
	if err != nil {
		t.Fatal(err)
	}
	viaView := one[float64](t, db, `SELECT sum(i.pop_total) FILTER (WHERE i.imd_decile = 1) FROM imd i
		JOIN area_lsoas al ON al.lsoa_code = i.lsoa_code AND al.lsoa_vintage = 2011 AND al.area_code = 'E92000001'
		WHERE i.edition = 2019`)
	if rs[0].Numerator != viaView || rs[0].Area.Name != "England" || rs[0].England != nil {
		t.Errorf("England 2019: %v, via area_lsoas %v (%+v)", rs[0].Numerator, viaView, rs[0].Area)
	}
	lsoas21 := one[int](t, db, `SELECT count(*) FROM area_lsoas WHERE area_code = 'E92000001' AND lsoa_vintage = 2021`)
	if lsoas21 != 1702 || rs[1].LSOAs != 33755 || rs[1].Members != 33755 {
		t.Errorf("England 2025 from %d LSOAs of %d (area_lsoas has %d)", rs[1].LSOAs, rs[1].Members, lsoas21)
	}
}

// Concurrent calls on a cold catalogue give what sequential calls give
// (run with -race).
func TestConcurrentCallsAgree(t *testing.T) {
	db := realDB(t)
	areas := []string{"E08000009", "E06000009", "E05000820", customTrafford, "E01012673", EnglandCode}
	seq, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, a := range areas {
		rs, err := seq.ForArea(t.Context(), db, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			want[a] = append(want[a], r.Sentence)
		}
	}
	par, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3*len(areas))
	for i := 0; i < 3; i++ {
		for _, a := range areas {
			go func() {
				rs, err := par.ForArea(t.Context(), db, a)
				if err == nil {
					for k, r := range rs {
						if r.Sentence != want[a][k] {
							err = errors.New(a + ": " + r.Sentence + " != " + want[a][k])
							break
						}
					}
				}
				errs <- err
			}()
		}
	}
	for i := 0; i < 3*len(areas); i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
