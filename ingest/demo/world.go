package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// Shape of Exampleton, in kilometres. The land is a star-shaped blob of mean
// radius landRadius around the origin with a harbour bay on its east coast.
// Output areas are a variable-radius Poisson-disc sample: spacing is
// spacingMin at the harbour and grows to spacingMax inland, which grades
// LSOAs from about 0.3 km2 in the town centre to several km2 at the rural
// edge.
const (
	landRadius = 5.6
	spacingMin = 0.17
	spacingMax = 1.0
	spacingRun = 8.5 // km from the harbour over which spacing grows
	seaBand    = 2.6 // km of sea sites around the coast
	snapTol    = 0.005
	oasPerLSOA = 5
	lsoaPerWd  = 5
	lsoaPerMS  = 8
)

// world is the whole synthetic authority. It is built once per Generate and
// read by the writers; it is not safe for concurrent mutation.
type world struct {
	seed   int64
	pts    []orb.Point // shared vertex pool (km)
	harbor orb.Point
	oas    []*oa
	lsoas  []*lsoa
	wards  []*ward
	msoas  []*msoa
	lad    *area
	pcs    []*postcode
}

// area is what every boundary level shares.
type area struct {
	code, name string
	geom       orb.MultiPolygon // lon/lat, 6 dp
	centroid   orb.Point        // lon/lat
	m2         float64          // geodesic, from the lon/lat geometry
	centre     orb.Point        // local plane
}

type oa struct {
	code string
	site orb.Point
	cell idRing
	lsoa *lsoa
	oac  oacClass
}

type lsoa struct {
	area
	oas  []*oa
	ward *ward
	msoa *msoa

	dep      float64 // latent deprivation 0 (least) .. 1 (most)
	rural    float64 // 0 at the harbour .. 1 at the far edge
	pop2017  int
	pop2015  int
	pop2021  int
	den2015  [4]int // 0-15, 16-59, 60+, working age
	ages2021 [6]int
	soac     [2]string
	pcs      []*postcode
}

type ward struct {
	area
	lsoas    []*lsoa
	locality string
}

type msoa struct {
	area
	lsoas   []*lsoa
	hclName string
}

type postcode struct {
	code string
	ll   orb.Point // lon/lat, 6 dp
	lsoa *lsoa
}

// coast is the coastline: the land radius varies with direction as a sum
// of low harmonics, so the blob is star-shaped and smooth at the scale of
// the cells.
type coast struct {
	amp   [6]float64
	phase [6]float64
}

// radius is the land radius (km) in direction theta (radians from east).
func (c coast) radius(theta float64) float64 {
	r := 1.0
	for k := 2; k < 6; k++ {
		r += c.amp[k] * math.Cos(float64(k)*theta+c.phase[k])
	}
	// The harbour bay on the east coast.
	d := math.Remainder(theta, 2*math.Pi)
	r -= 0.09 * math.Exp(-(d*d)/(2*0.10*0.10))
	return landRadius * r
}

func (c coast) inside(p orb.Point) bool {
	return math.Hypot(p[0], p[1]) < c.radius(math.Atan2(p[1], p[0]))
}

func buildWorld(seed int64) (*world, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x45584d504c45544f)) // "EXMPLETO"
	w := &world{seed: seed}
	var c coast
	for k := 2; k < 6; k++ {
		c.amp[k] = (0.10 / float64(k-1)) * (0.5 + rng.Float64())
		c.phase[k] = rng.Float64() * 2 * math.Pi
	}
	w.harbor = orb.Point{c.radius(0) - 0.9, 0.25 * (rng.Float64() - 0.5)}

	spacing := func(p orb.Point) float64 {
		t := math.Min(1, math.Hypot(p[0]-w.harbor[0], p[1]-w.harbor[1])/spacingRun)
		return spacingMin + (spacingMax-spacingMin)*t*t*(3-2*t)
	}
	land := poissonDisc(rng, spacing, func(p orb.Point) bool { return c.inside(p) }, landRadius*1.4)
	sea := poissonDisc(rng, func(p orb.Point) float64 { return math.Min(spacing(p), 0.9) },
		func(p orb.Point) bool {
			r := math.Hypot(p[0], p[1])
			cr := c.radius(math.Atan2(p[1], p[0]))
			return r >= cr && r < cr+seaBand
		}, landRadius*1.4+seaBand)
	// The sea sites must not crowd the land ones: poissonDisc only keeps
	// distance within one set, so drop sea sites too close to land sites.
	var sites []orb.Point
	sites = append(sites, land...)
	for _, s := range sea {
		ok := true
		for _, l := range land {
			if planar.Distance(s, l) < 0.7*spacing(l) {
				ok = false
				break
			}
		}
		if ok {
			sites = append(sites, s)
		}
	}
	if len(land) < 150 {
		return nil, fmt.Errorf("demo: only %d land sites", len(land))
	}

	// Output-area cells.
	pool := newVertexPool(snapTol)
	half := landRadius*2 + seaBand*2
	for i := range land {
		ring := voronoiCell(sites, i, half)
		var ids idRing
		for _, p := range ring {
			id := pool.add(p)
			if len(ids) > 0 && ids[len(ids)-1] == id {
				continue
			}
			ids = append(ids, id)
		}
		for len(ids) > 1 && ids[0] == ids[len(ids)-1] {
			ids = ids[:len(ids)-1]
		}
		if len(ids) < 3 {
			return nil, fmt.Errorf("demo: output area cell %d collapsed", i)
		}
		seen := make(map[int]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				return nil, fmt.Errorf("demo: output area cell %d touches itself", i)
			}
			seen[id] = true
		}
		w.oas = append(w.oas, &oa{site: land[i], cell: ids})
	}
	w.pts = pool.pts

	// OAs -> LSOAs -> wards and MSOAs.
	oaAdj := cellAdjacency(w.oas)
	oaPos := make([]orb.Point, len(w.oas))
	for i, o := range w.oas {
		oaPos[i] = o.site
	}
	oaGroups := groupNodes(oaAdj, oaPos, oasPerLSOA, oasPerLSOA-1)
	for _, g := range oaGroups {
		l := &lsoa{}
		for _, i := range g {
			l.oas = append(l.oas, w.oas[i])
			w.oas[i].lsoa = l
		}
		if err := w.shape(&l.area, l.cells()); err != nil {
			return nil, err
		}
		w.lsoas = append(w.lsoas, l)
	}
	lsAdj := make([][]int, len(w.lsoas))
	lsPos := make([]orb.Point, len(w.lsoas))
	idx := make(map[*lsoa]int)
	for i, l := range w.lsoas {
		idx[l] = i
		lsPos[i] = l.centre
	}
	for i, nb := range oaAdj {
		a := idx[w.oas[i].lsoa]
		for _, j := range nb {
			b := idx[w.oas[j].lsoa]
			if a != b && !slices.Contains(lsAdj[a], b) {
				lsAdj[a] = append(lsAdj[a], b)
			}
		}
	}
	for i := range lsAdj {
		slices.Sort(lsAdj[i])
	}
	for _, g := range groupNodes(lsAdj, lsPos, lsoaPerWd, lsoaPerWd-2) {
		wd := &ward{}
		var cells []idRing
		for _, i := range g {
			wd.lsoas = append(wd.lsoas, w.lsoas[i])
			w.lsoas[i].ward = wd
			cells = append(cells, w.lsoas[i].cells()...)
		}
		if err := w.shape(&wd.area, cells); err != nil {
			return nil, err
		}
		w.wards = append(w.wards, wd)
	}
	for _, g := range groupNodes(lsAdj, lsPos, lsoaPerMS, lsoaPerMS-3) {
		ms := &msoa{}
		var cells []idRing
		for _, i := range g {
			ms.lsoas = append(ms.lsoas, w.lsoas[i])
			w.lsoas[i].msoa = ms
			cells = append(cells, w.lsoas[i].cells()...)
		}
		if err := w.shape(&ms.area, cells); err != nil {
			return nil, err
		}
		w.msoas = append(w.msoas, ms)
	}
	w.lad = &area{code: LADCode, name: LADName}
	var all []idRing
	for _, o := range w.oas {
		all = append(all, o.cell)
	}
	if err := w.shape(w.lad, all); err != nil {
		return nil, err
	}

	w.name()
	w.attributes(rng)
	if err := w.postcodes(rng); err != nil {
		return nil, err
	}
	return w, nil
}

func (l *lsoa) cells() []idRing {
	out := make([]idRing, len(l.oas))
	for i, o := range l.oas {
		out[i] = o.cell
	}
	return out
}

// shape dissolves cells into a's polygons and derives its lon/lat geometry,
// centroid and areas.
func (w *world) shape(a *area, cells []idRing) error {
	polys, err := dissolve(w.pts, cells)
	if err != nil {
		return err
	}
	a.geom = lonLatMulti(w.pts, polys)
	a.m2 = geo.Area(a.geom)
	c, _ := planar.CentroidArea(a.geom)
	a.centroid = c
	a.centre = orb.Point{(c[0] - originLon) * kmPerDegLon, (c[1] - originLat) * kmPerDegLat}
	return nil
}

// poissonDisc draws a maximal variable-radius Poisson-disc sample: uniform
// candidates in the square [-half, half]^2 that satisfy in are kept when no
// kept point lies within the spacing of either point. It stops after a long
// run of rejections.
func poissonDisc(rng *rand.Rand, spacing func(orb.Point) float64, in func(orb.Point) bool, half float64) []orb.Point {
	const cell = 0.25
	grid := make(map[[2]int][]int)
	key := func(p orb.Point) [2]int { return [2]int{int(math.Floor(p[0] / cell)), int(math.Floor(p[1] / cell))} }
	reach := int(math.Ceil(spacingMax/cell)) + 1
	var pts []orb.Point
	var rad []float64
	fails := 0
	for attempts := 0; fails < 4000 && attempts < 400000; attempts++ {
		p := orb.Point{(rng.Float64()*2 - 1) * half, (rng.Float64()*2 - 1) * half}
		if !in(p) {
			continue
		}
		r := spacing(p)
		k := key(p)
		ok := true
	scan:
		for dx := -reach; dx <= reach; dx++ {
			for dy := -reach; dy <= reach; dy++ {
				for _, j := range grid[[2]int{k[0] + dx, k[1] + dy}] {
					if planar.Distance(p, pts[j]) < math.Max(r, rad[j]) {
						ok = false
						break scan
					}
				}
			}
		}
		if !ok {
			fails++
			continue
		}
		fails = 0
		pts = append(pts, p)
		rad = append(rad, r)
		grid[k] = append(grid[k], len(pts)-1)
	}
	return pts
}

// cellAdjacency lists, for each OA, the OAs it shares an edge with.
func cellAdjacency(oas []*oa) [][]int {
	owner := make(map[edge]int)
	for i, o := range oas {
		for k := range o.cell {
			owner[edge{o.cell[k], o.cell[(k+1)%len(o.cell)]}] = i
		}
	}
	adj := make([][]int, len(oas))
	for i, o := range oas {
		for k := range o.cell {
			if j, ok := owner[edge{o.cell[(k+1)%len(o.cell)], o.cell[k]}]; ok && !slices.Contains(adj[i], j) {
				adj[i] = append(adj[i], j)
			}
		}
		slices.Sort(adj[i])
	}
	return adj
}

// groupNodes partitions a connected graph into connected groups of about
// target nodes: each group starts at the unassigned node with the fewest
// unassigned neighbours (so the edges of the map are used up first and no
// pocket is stranded) and grows by the unassigned neighbour nearest its
// centroid. Groups smaller than minSize are then merged into their smallest
// neighbour. The result is deterministic.
func groupNodes(adj [][]int, pos []orb.Point, target, minSize int) [][]int {
	n := len(adj)
	grp := make([]int, n)
	for i := range grp {
		grp[i] = -1
	}
	free := func(i int) int {
		c := 0
		for _, j := range adj[i] {
			if grp[j] < 0 {
				c++
			}
		}
		return c
	}
	var groups [][]int
	for {
		seed := -1
		for i := range n {
			if grp[i] < 0 && (seed < 0 || free(i) < free(seed)) {
				seed = i
			}
		}
		if seed < 0 {
			break
		}
		g := []int{seed}
		grp[seed] = len(groups)
		for len(g) < target {
			var cx, cy float64
			for _, i := range g {
				cx += pos[i][0]
				cy += pos[i][1]
			}
			c := orb.Point{cx / float64(len(g)), cy / float64(len(g))}
			best := -1
			for _, i := range g {
				for _, j := range adj[i] {
					if grp[j] < 0 && (best < 0 || planar.Distance(pos[j], c) < planar.Distance(pos[best], c)) {
						best = j
					}
				}
			}
			if best < 0 {
				break
			}
			grp[best] = len(groups)
			g = append(g, best)
		}
		groups = append(groups, g)
	}
	// Merge small groups.
	for {
		small := -1
		for gi, g := range groups {
			if len(g) > 0 && len(g) < minSize && (small < 0 || len(g) < len(groups[small])) {
				small = gi
			}
		}
		if small < 0 {
			break
		}
		into := -1
		for _, i := range groups[small] {
			for _, j := range adj[i] {
				gj := grp[j]
				if gj != small && (into < 0 || len(groups[gj]) < len(groups[into]) || (len(groups[gj]) == len(groups[into]) && gj < into)) {
					into = gj
				}
			}
		}
		if into < 0 {
			break // the whole graph is one small group
		}
		for _, i := range groups[small] {
			grp[i] = into
		}
		groups[into] = append(groups[into], groups[small]...)
		groups[small] = nil
	}
	var out [][]int
	for _, g := range groups {
		if len(g) > 0 {
			slices.Sort(g)
			out = append(out, g)
		}
	}
	return out
}
