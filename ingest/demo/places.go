package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Number of LSOAs (and LSOA 2021s: Exampleton had no LSOA changes) in England
// in IoD2019 and IoD2025: the ranges of the national ranks.
const (
	lsoasIoD2019 = 32844
	lsoasIoD2025 = 33755
)

// shortName is the LAD name without the "(synthetic)" marker, as used in
// LSOA and MSOA names ("Exampleton 001A").
var shortName = strings.TrimSpace(strings.TrimSuffix(LADName, "(synthetic)"))

// Invented ward names. The first few are placed by role (the harbour ward,
// the wards next to it, the northern, southern and western edges); the rest
// are handed out in order.
var (
	wardCentral  = []string{"Harbourside", "Castle & Priory", "St Anne's"}
	wardNorth    = "Northgate"
	wardSouth    = "Southfield"
	wardWest     = "Westcliffe"
	wardOthers   = []string{"Mill Hill", "Saltmarsh", "Kingsmoor", "Fenwick", "Abbeygate", "Ravensholme", "Brackenridge", "Thornbury", "Quarry Bank", "Lowther Park", "Greystone", "Eastbrook"}
	postcodeArea = "XM" // no such UK postcode area
	unitLetters  = "ABDEFGHJLNPQRSTUWXYZ"
)

// name assigns ONS-style codes and names: MSOAs are numbered north to south,
// LSOAs are named after their MSOA with a letter (north to south) and coded
// in name order, OAs are coded in LSOA order, and ward codes follow the
// alphabetical order of the invented ward names.
func (w *world) name() {
	northFirst := func(a, b orb.Point) int {
		switch {
		case a[1] > b[1]:
			return -1
		case a[1] < b[1]:
			return 1
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	}
	slices.SortStableFunc(w.msoas, func(a, b *msoa) int { return northFirst(a.centre, b.centre) })
	var lsoas []*lsoa
	for i, m := range w.msoas {
		m.code = fmt.Sprintf("E02%06d", 99001+i)
		m.name = fmt.Sprintf("%s %03d", shortName, i+1)
		slices.SortStableFunc(m.lsoas, func(a, b *lsoa) int { return northFirst(a.centre, b.centre) })
		for j, l := range m.lsoas {
			l.name = fmt.Sprintf("%s%c", m.name, 'A'+j)
			lsoas = append(lsoas, l)
		}
	}
	w.lsoas = lsoas
	var oas []*oa
	for i, l := range w.lsoas {
		l.code = fmt.Sprintf("E01%06d", 99001+i)
		slices.SortStableFunc(l.oas, func(a, b *oa) int { return northFirst(a.site, b.site) })
		oas = append(oas, l.oas...)
	}
	for i, o := range oas {
		o.code = fmt.Sprintf("E00%06d", 99001+i)
	}
	w.oas = oas

	// Wards: by role first.
	named := make(map[*ward]bool)
	give := func(wd *ward, name string) {
		wd.name = name
		named[wd] = true
	}
	byHarbour := slices.Clone(w.wards)
	slices.SortStableFunc(byHarbour, func(a, b *ward) int {
		da, db := planar.Distance(a.centre, w.harbor), planar.Distance(b.centre, w.harbor)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return 0
	})
	for i, name := range wardCentral {
		if i < len(byHarbour) {
			give(byHarbour[i], name)
		}
	}
	extreme := func(score func(orb.Point) float64) *ward {
		var best *ward
		for _, wd := range w.wards {
			if !named[wd] && (best == nil || score(wd.centre) > score(best.centre)) {
				best = wd
			}
		}
		return best
	}
	for _, r := range []struct {
		name  string
		score func(orb.Point) float64
	}{
		{wardNorth, func(p orb.Point) float64 { return p[1] }},
		{wardSouth, func(p orb.Point) float64 { return -p[1] }},
		{wardWest, func(p orb.Point) float64 { return -p[0] }},
	} {
		if wd := extreme(r.score); wd != nil {
			give(wd, r.name)
		}
	}
	k := 0
	for _, wd := range w.wards {
		if named[wd] {
			continue
		}
		if k < len(wardOthers) {
			give(wd, wardOthers[k])
		} else {
			give(wd, fmt.Sprintf("Ward %d", k+1))
		}
		k++
	}
	slices.SortStableFunc(w.wards, func(a, b *ward) int { return strings.Compare(a.name, b.name) })
	for i, wd := range w.wards {
		wd.code = fmt.Sprintf("E05%06d", 99001+i)
		slices.SortStableFunc(wd.lsoas, func(a, b *lsoa) int { return strings.Compare(a.code, b.code) })
		// Council-defined localities, as Trafford has.
		// The wards named for the edges anchor North, South and West, so
		// all four localities exist.
		c := wd.centre
		switch {
		case planar.Distance(c, w.harbor) < 1.6:
			wd.locality = "Central"
		case wd.name == wardNorth:
			wd.locality = "North"
		case wd.name == wardSouth:
			wd.locality = "South"
		case wd.name == wardWest || (c[0] < 0 && -c[0] > math.Abs(c[1])):
			wd.locality = "West"
		case c[1] >= 0:
			wd.locality = "North"
		default:
			wd.locality = "South"
		}
	}

	// House of Commons Library style MSOA names: the main ward's name, with a
	// direction where two MSOAs would share one.
	byName := make(map[string][]*msoa)
	for _, m := range w.msoas {
		count := make(map[*ward]int)
		var main *ward
		for _, l := range m.lsoas {
			count[l.ward]++
			if main == nil || count[l.ward] > count[main] || (count[l.ward] == count[main] && l.ward.code < main.code) {
				main = l.ward
			}
		}
		m.hclName = main.name
		byName[main.name] = append(byName[main.name], m)
	}
	for _, m := range w.msoas {
		same := byName[m.hclName]
		if len(same) < 2 {
			continue
		}
		suffix := []string{"North", "South"}
		if len(same) == 3 {
			suffix = []string{"North", "Central", "South"}
		}
		for i, s := range same { // already north to south
			if i < len(suffix) {
				s.hclName += " " + suffix[i]
			} else {
				s.hclName += fmt.Sprintf(" %d", i+1)
			}
		}
	}
}

// attributes sets the latent deprivation, populations and classifications.
// Deprivation falls with distance from the harbour (a deprived harbour and
// town centre, affluent edges) with noise and one deprived estate on the
// edge of town, so that the indicators tell a story.
func (w *world) attributes(rng *rand.Rand) {
	maxD := 0.0
	for _, l := range w.lsoas {
		maxD = math.Max(maxD, planar.Distance(l.centre, w.harbor))
	}
	for _, l := range w.lsoas {
		l.rural = planar.Distance(l.centre, w.harbor) / maxD
		l.dep = clamp(1.0-1.0*math.Pow(l.rural, 0.85)+rng.NormFloat64()*0.07, 0.01, 0.99)
	}
	// A post-war estate on the edge of town.
	var estate *lsoa
	for _, l := range w.lsoas {
		if l.rural > 0.45 && l.rural < 0.65 && (estate == nil || l.code < estate.code) {
			estate = l
		}
	}
	if estate != nil {
		estate.dep = 0.78
	}
	// New-build growth in the two most rural affluent LSOAs.
	byRural := slices.Clone(w.lsoas)
	slices.SortStableFunc(byRural, func(a, b *lsoa) int {
		switch {
		case a.rural > b.rural:
			return -1
		case a.rural < b.rural:
			return 1
		}
		return 0
	})
	newBuild := map[*lsoa]bool{}
	for _, l := range byRural[:min(2, len(byRural))] {
		newBuild[l] = true
	}
	for _, l := range w.lsoas {
		d, r := l.dep, l.rural
		l.pop2017 = int(clamp(math.Round(1520+380*d+rng.NormFloat64()*230), 1220, 2580))
		l.pop2015 = int(math.Round(float64(l.pop2017) * (0.985 + rng.NormFloat64()*0.008)))
		c := 0.16 + 0.07*d - 0.02*r + rng.NormFloat64()*0.01
		o := 0.24 - 0.08*d + 0.08*r + rng.NormFloat64()*0.01
		parts := split(l.pop2015, []float64{c, 1 - c - o, o})
		l.den2015 = [4]int{parts[0], parts[1], parts[2], int(math.Round(0.96*float64(parts[1]) + 0.21*float64(parts[2])))}
		g := 0.025 + rng.NormFloat64()*0.02
		if newBuild[l] {
			g += 0.11
		}
		l.pop2021 = int(math.Round(float64(l.pop2017) * (1 + g)))
		shares := []float64{
			0.17 + 0.06*d - 0.02*r,
			0.10 + 0.03*d,
			0.12 + 0.05*d - 0.03*r,
			0.19,
			0.20 - 0.03*d + 0.02*r,
			0.22 - 0.11*d + 0.05*r,
		}
		for i := range shares {
			shares[i] = math.Max(0.03, shares[i]+rng.NormFloat64()*0.008)
		}
		copy(l.ages2021[:], split(l.pop2021, shares))
		l.soac = soacFor(d, r, rng)
		for _, o := range l.oas {
			o.oac = oacFor(d, r, rng)
		}
	}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// split divides total in proportion to weights (largest remainder), so the
// parts always add up to total.
func split(total int, weights []float64) []int {
	sum := 0.0
	for _, x := range weights {
		sum += x
	}
	parts := make([]int, len(weights))
	rem := make([]float64, len(weights))
	given := 0
	for i, x := range weights {
		exact := float64(total) * x / sum
		parts[i] = int(math.Floor(exact))
		rem[i] = exact - float64(parts[i])
		given += parts[i]
	}
	for ; given < total; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		parts[best]++
		rem[best] = -1
	}
	return parts
}

// oacClass is a 2011 Output Area Classification subgroup.
type oacClass struct{ code, name string }

func oacFor(dep, rural float64, rng *rand.Rand) oacClass {
	var opts []oacClass
	switch {
	case rural > 0.7 && dep < 0.5:
		opts = []oacClass{{"1a1", "Rural Workers and Families"}, {"1b1", "Rural Life"}, {"6a4", "Ageing in Suburbia"}}
	case dep > 0.8:
		opts = []oacClass{{"8b1", "Deprived Blue-Collar Terraces"}, {"7a2", "Hampered Aspiration"}, {"8c3", "Renting Hard-Pressed Workers"}, {"7b3", "Endeavouring Flat Dwellers"}}
	case dep > 0.6:
		opts = []oacClass{{"8c1", "Ageing Industrious Workers"}, {"7d1", "Ageing Communities and Families"}, {"7c2", "Constrained Young Families"}}
	case dep > 0.35:
		opts = []oacClass{{"6b4", "Older Workers and Retirement"}, {"6b2", "White Suburban Communities"}, {"8a1", "Industrious Transitions"}}
	default:
		opts = []oacClass{{"6a2", "Comfortable Suburbia"}, {"6a4", "Ageing in Suburbia"}, {"5b1", "Delayed Retirement"}}
	}
	return opts[rng.IntN(len(opts))]
}

func soacFor(dep, rural float64, rng *rand.Rand) [2]string {
	var opts [][2]string
	switch {
	case rural > 0.7 && dep < 0.5:
		opts = [][2]string{{"2b", "Prospering countryside life"}, {"2d", "Rural traits"}}
	case dep > 0.75:
		opts = [][2]string{{"4b", "Constrained renters"}, {"5d", "Endeavouring social renters"}}
	case dep > 0.5:
		opts = [][2]string{{"4a", "Challenged white communities"}, {"5a", "Ageing urban communities"}}
	case dep > 0.3:
		opts = [][2]string{{"5c", "Comfortable neighbourhoods"}, {"8b", "Ageing suburbanites"}}
	default:
		opts = [][2]string{{"8a", "Affluent communities"}, {"8c", "Comfortable suburbia"}}
	}
	return opts[rng.IntN(len(opts))]
}

// postcodes places 13-17 postcode units in each LSOA, at points strictly
// inside the LSOA polygon as written (6-dp lon/lat). The outward code is the
// invented area XM plus the MSOA number; the sector digit follows the LSOA.
func (w *world) postcodes(rng *rand.Rand) error {
	used := make(map[string]bool)
	msoaNum := make(map[*msoa]int)
	for i, m := range w.msoas {
		msoaNum[m] = i + 1
	}
	for _, l := range w.lsoas {
		letter := int(l.name[len(l.name)-1] - 'A')
		sector := (letter + 1) % 10
		n := 13 + rng.IntN(5)
		b := l.geom.Bound()
		for tries := 0; len(l.pcs) < n; tries++ {
			if tries > 20000 {
				return fmt.Errorf("demo: cannot place postcodes in %s", l.code)
			}
			p := orb.Point{
				round6(b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0])),
				round6(b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])),
			}
			if !insideWithMargin(l.geom, p, 3e-5) {
				continue
			}
			var code string
			for {
				u := string([]byte{unitLetters[rng.IntN(len(unitLetters))], unitLetters[rng.IntN(len(unitLetters))]})
				code = fmt.Sprintf("%s%d %d%s", postcodeArea, msoaNum[l.msoa], sector, u)
				if !used[code] {
					break
				}
			}
			used[code] = true
			pc := &postcode{code: code, ll: p, lsoa: l}
			l.pcs = append(l.pcs, pc)
			w.pcs = append(w.pcs, pc)
		}
	}
	slices.SortStableFunc(w.pcs, func(a, b *postcode) int { return strings.Compare(a.code, b.code) })
	return nil
}

// insideWithMargin reports whether p and four points around it at distance
// m (degrees) are all inside mp, so p is well away from the boundary.
func insideWithMargin(mp orb.MultiPolygon, p orb.Point, m float64) bool {
	for _, q := range []orb.Point{p, {p[0] + m, p[1]}, {p[0] - m, p[1]}, {p[0], p[1] + m}, {p[0], p[1] - m}} {
		if !planar.MultiPolygonContains(mp, q) {
			return false
		}
	}
	return true
}
