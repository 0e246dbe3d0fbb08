package demo

import (
	"math"
	"slices"
	"strconv"
)

// The seven domains of the English Indices of Deprivation, in file order,
// with their weights in the IMD.
const (
	domIncome = iota
	domEmployment
	domEducation
	domHealth
	domCrime
	domBarriers
	domEnvironment
	nDomains
)

var domainWeights = [nDomains]float64{0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093}

// iod is one LSOA's ranks and scores: index 0 is the IMD, 1..7 the domains.
type iod struct {
	rank  [nDomains + 1]int
	score [nDomains + 1]float64
}

func (x iod) decile(i, n int) int { return int(math.Ceil(float64(x.rank[i]) / (float64(n) / 10))) }

// indices derives IoD2019 and IoD2025 ranks and scores from each LSOA's
// latent deprivation: every domain is the latent plus its own noise and
// pull (crime follows the town centre, barriers to housing and services
// grow with rurality, the living environment is worst in the old centre),
// the IMD is the weighted sum of the domains, and 2025 drifts a little from
// 2019. A latent maps to an England-wide rank; scores are a decreasing
// function of rank, so a higher score always means a lower (more deprived)
// rank.
func (w *world) indices() (v2019, v2025 []iod) {
	rng := w.rng("iod")
	lat19 := make([][nDomains + 1]float64, len(w.lsoas))
	lat25 := make([][nDomains + 1]float64, len(w.lsoas))
	for i, l := range w.lsoas {
		d, r := l.dep, l.rural
		dom := [nDomains]float64{
			d + rng.NormFloat64()*0.05,
			d + rng.NormFloat64()*0.07,
			d + rng.NormFloat64()*0.10,
			0.8*d + 0.1 + rng.NormFloat64()*0.10,
			0.75*d + 0.15 + rng.NormFloat64()*0.12,
			0.25 + 0.5*r + 0.15*d + rng.NormFloat64()*0.10,
			0.2 + 0.45*(1-r) + 0.2*d + rng.NormFloat64()*0.10,
		}
		for k := range nDomains {
			lat19[i][k+1] = clamp(dom[k], 0, 1)
			lat25[i][k+1] = clamp(dom[k]+rng.NormFloat64()*0.035, 0, 1)
		}
		for k := range nDomains {
			lat19[i][0] += domainWeights[k] * lat19[i][k+1]
			lat25[i][0] += domainWeights[k] * lat25[i][k+1]
		}
	}
	return rankAndScore(lat19, lsoasIoD2019), rankAndScore(lat25, lsoasIoD2025)
}

// rankAndScore turns latents into national ranks (unique within the
// authority) and scores.
func rankAndScore(lat [][nDomains + 1]float64, n int) []iod {
	out := make([]iod, len(lat))
	for k := range nDomains + 1 {
		used := make(map[int]bool)
		for i := range lat {
			// Latent 0.85 is about the most deprived 1%, 0.2 about the least deprived 3%.
			p := clamp(0.01+(0.85-lat[i][k])/0.65*0.96, 0.0005, 0.9995)
			r := 1 + int(p*float64(n-1))
			for used[r] {
				if r < n {
					r++
				} else {
					r--
				}
			}
			used[r] = true
			out[i].rank[k] = r
			out[i].score[k] = roundN(scoreCurves[k].at(float64(r)/float64(n)), 3)
		}
	}
	return out
}

// curve is a decreasing piecewise-linear function of the national rank
// fraction (0 = most deprived): invented knots giving scores of plausible
// size (IMD 0-95, income and employment proportions 0-0.6, health and crime
// z-like -3..3, the rest 0-100).
type curve [][2]float64

func (c curve) at(p float64) float64 {
	for i := 1; i < len(c); i++ {
		if p <= c[i][0] {
			t := (p - c[i-1][0]) / (c[i][0] - c[i-1][0])
			return c[i-1][1] + t*(c[i][1]-c[i-1][1])
		}
	}
	return c[len(c)-1][1]
}

var scoreCurves = [nDomains + 1]curve{
	{{0, 92}, {0.01, 64}, {0.1, 34}, {0.2, 27}, {0.3, 21.5}, {0.5, 15}, {0.7, 10}, {0.9, 5.5}, {1, 0.5}},
	{{0, 0.6}, {0.01, 0.45}, {0.1, 0.28}, {0.3, 0.16}, {0.5, 0.1}, {0.8, 0.05}, {1, 0.005}},
	{{0, 0.45}, {0.01, 0.33}, {0.1, 0.2}, {0.3, 0.12}, {0.5, 0.08}, {0.8, 0.045}, {1, 0.004}},
	{{0, 85}, {0.01, 62}, {0.1, 45}, {0.3, 28}, {0.5, 18}, {0.8, 8}, {1, 0.5}},
	{{0, 3.1}, {0.01, 2.2}, {0.1, 1.2}, {0.3, 0.5}, {0.5, 0}, {0.8, -0.85}, {1, -2.9}},
	{{0, 3.2}, {0.01, 2.1}, {0.1, 1.1}, {0.3, 0.45}, {0.5, 0}, {0.8, -0.8}, {1, -3}},
	{{0, 58}, {0.01, 46}, {0.1, 34}, {0.3, 27}, {0.5, 22}, {0.8, 14}, {1, 3}},
	{{0, 82}, {0.01, 63}, {0.1, 42}, {0.3, 28}, {0.5, 18}, {0.8, 9}, {1, 0.5}},
}

// Headers of the IoD2019 files (MHCLG CSV exports) and of the IoD2025
// derived file.
var (
	headIMD2019File1 = []string{"LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)", "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Rank", "Index of Multiple Deprivation (IMD) Decile"}
	headIMD2019File2 = []string{"LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)", "Local Authority District name (2019)",
		"Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)", "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
		"Income Rank (where 1 is most deprived)", "Income Decile (where 1 is most deprived 10% of LSOAs)",
		"Employment Rank (where 1 is most deprived)", "Employment Decile (where 1 is most deprived 10% of LSOAs)",
		"Education, Skills and Training Rank (where 1 is most deprived)", "Education, Skills and Training Decile (where 1 is most deprived 10% of LSOAs)",
		"Health Deprivation and Disability Rank (where 1 is most deprived)", "Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)",
		"Crime Rank (where 1 is most deprived)", "Crime Decile (where 1 is most deprived 10% of LSOAs)",
		"Barriers to Housing and Services Rank (where 1 is most deprived)", "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)",
		"Living Environment Rank (where 1 is most deprived)", "Living Environment Decile (where 1 is most deprived 10% of LSOAs)"}
	headIMD2019File6 = []string{"LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)", "Local Authority District name (2019)",
		"Total population: mid 2015 (excluding prisoners)", "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
		"Population aged 16-59: mid 2015 (excluding prisoners)", "Older population aged 60 and over: mid 2015 (excluding prisoners)",
		"Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)"}
	headIMD2025 = []string{"lsoa21_code", "IMD_decile", "Income_decile", "Employment_decile", "Education_decile", "Health_decile", "Crime_decile", "Housing_and_Services_decile", "Environment_decile",
		"IMD_rank", "Income_rank", "Employment_rank", "Education_rank", "Health_rank", "Crime_rank", "Housing_and_Services_rank", "Environment_rank",
		"IMD_score", "Income_score", "Employment_score", "Education_score", "Health_score", "Crime_score", "Housing_and_Services_score", "Environment_score"}
)

// writeIMD2019 writes Files 1, 2 and 6 as MHCLG's CSV exports: UTF-8 BOM,
// CRLF, no newline after the last row; File 1 and File 6 quote numbers with
// thousands separators ("29,199"), File 2 has plain integers.
func (w *world) writeIMD2019(o *output) error {
	v, _ := w.indices()
	f1 := newTable(true, "\r\n")
	f2 := newTable(true, "\r\n")
	f6 := newTable(true, "\r\n")
	f1.row(all(a, headIMD2019File1...)...)
	f2.row(all(a, headIMD2019File2...)...)
	f6.row(all(a, headIMD2019File6...)...)
	for i, l := range w.lsoas {
		id := all(a, l.code, l.name, LADCode, LADName)
		x := v[i]
		f1.row(append(slices.Clone(id), a(thousands(x.rank[0])), strconv.Itoa(x.decile(0, lsoasIoD2019)))...)
		row2 := slices.Clone(id)
		for k := range nDomains + 1 {
			row2 = append(row2, strconv.Itoa(x.rank[k]), strconv.Itoa(x.decile(k, lsoasIoD2019)))
		}
		f2.row(row2...)
		row6 := slices.Clone(id)
		for _, n := range []int{l.pop2015, l.den2015[0], l.den2015[1], l.den2015[2], l.den2015[3]} {
			row6 = append(row6, a(thousands(n)))
		}
		f6.row(row6...)
	}
	for _, f := range []struct {
		rel string
		t   *table
	}{
		{"deprivation/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv", f1},
		{"deprivation/File_2_-_IoD2019_Domains_of_Deprivation.csv", f2},
		{"deprivation/File_6_-_IoD2019_Population_Denominators.csv", f6},
	} {
		if err := o.write(DatasetIMD2019, f.rel, f.t.bytes(false)); err != nil {
			return err
		}
	}
	return nil
}

// writeIMD2025 writes the derived IoD2025 layout (R write.csv: strings
// quoted, numbers bare, LF).
func (w *world) writeIMD2025(o *output) error {
	_, v := w.indices()
	t := newTable(false, "\n")
	t.row(all(q, headIMD2025...)...)
	for i, l := range w.lsoas {
		x := v[i]
		row := []string{q(l.code)}
		for k := range nDomains + 1 {
			row = append(row, strconv.Itoa(x.decile(k, lsoasIoD2025)))
		}
		for k := range nDomains + 1 {
			row = append(row, strconv.Itoa(x.rank[k]))
		}
		for k := range nDomains + 1 {
			row = append(row, num(x.score[k]))
		}
		t.row(row...)
	}
	return o.write(DatasetIMD2025, "deprivation/imd2025_england_lsoa21.csv", t.bytes(true))
}
