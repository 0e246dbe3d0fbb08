package queries

import (
	"math"
	"runtime"
	"sync"
)

// earthRadiusKm is the IUGG mean Earth radius, as the distance_*_km.sql
// indicators use.
const earthRadiusKm = 6371.0088

// greatCircleKm is the haversine distance between two points in degrees.
func greatCircleKm(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Pow(math.Sin(dlat/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin(dlon/2), 2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(1, a)))
}

// lonLat is a point in WGS84 degrees.
type lonLat struct{ lon, lat float64 }

// pointGrid finds the nearest of a fixed set of points by a regular
// lon/lat grid searched in rings outwards from the query's cell: after
// ring r every unvisited point is at least r cells away, so the search
// stops once the best distance is within that bound. The answer is exact
// (the same point a brute-force scan finds, up to ties). It is safe for
// concurrent reads once built.
type pointGrid struct {
	pts              []lonLat
	rad              []radPoint // pts in radians, with cos(lat)
	cellLat, cellLon float64    // degrees
	minCY, minCX     int
	ny, nx           int
	start            []int32 // CSR: points of cell c are items[start[c]:start[c+1]]
	items            []int32
	// kmPerCell is a lower bound on the ground size of one cell in either
	// direction, anywhere the grid is used.
	kmPerCell float64
}

// radPoint is a point in radians with the cosine of its latitude, for the
// haversine term without recomputing it.
type radPoint struct{ lon, lat, cosLat float64 }

func toRad(p lonLat) radPoint {
	const rad = math.Pi / 180
	return radPoint{p.lon * rad, p.lat * rad, math.Cos(p.lat * rad)}
}

// hav is the haversine term of two points: a monotonic function of their
// great-circle distance, 2R·asin(√a), so the nearest point is the one with
// the smallest a and no asin is taken per candidate.
func hav(p, q radPoint) float64 {
	sy := math.Sin((q.lat - p.lat) / 2)
	sx := math.Sin((q.lon - p.lon) / 2)
	return sy*sy + p.cosLat*q.cosLat*sx*sx
}

func havToKm(a float64) float64 { return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(1, a))) }

func kmToHav(km float64) float64 {
	s := math.Sin(km / (2 * earthRadiusKm))
	return s * s
}

// Grid cells of 0.0125 degrees of latitude (1.4 km) by 0.02 of longitude
// (1.2 km at 56 N, 1.4 km at 50 N): a few schools per cell in cities, so a
// search visits tens of candidates; 4 times larger cells measured 1.7 times
// slower, 4 times smaller ones a little slower too (docs/PERFORMANCE.md).
const gridCellLat, gridCellLon = 0.0125, 0.02

func newPointGrid(pts []lonLat, maxQueryLat float64) *pointGrid {
	g := &pointGrid{pts: pts, cellLat: gridCellLat, cellLon: gridCellLon}
	if len(pts) == 0 {
		return g
	}
	g.rad = make([]radPoint, len(pts))
	for i, p := range pts {
		g.rad[i] = toRad(p)
	}
	minCY, minCX, maxCY, maxCX := math.MaxInt, math.MaxInt, math.MinInt, math.MinInt
	maxLat := math.Abs(maxQueryLat)
	for _, p := range pts {
		cy, cx := g.cell(p)
		minCY, minCX, maxCY, maxCX = min(minCY, cy), min(minCX, cx), max(maxCY, cy), max(maxCX, cx)
		maxLat = math.Max(maxLat, math.Abs(p.lat))
	}
	g.minCY, g.minCX, g.ny, g.nx = minCY, minCX, maxCY-minCY+1, maxCX-minCX+1
	counts := make([]int32, g.ny*g.nx+1)
	for _, p := range pts {
		counts[g.index(g.cell(p))+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	g.start = counts
	g.items = make([]int32, len(pts))
	fill := make([]int32, g.ny*g.nx)
	copy(fill, counts[:len(counts)-1])
	for i, p := range pts {
		c := g.index(g.cell(p))
		g.items[fill[c]] = int32(i)
		fill[c]++
	}
	// A degree of latitude is at least 110.5 km; a degree of longitude is
	// shortest at the highest latitude involved (plus a margin, because the
	// great circle between two points bulges towards the pole). 0.99 keeps
	// the bound safe for the short distances involved.
	latKm := g.cellLat * 110.5
	lonKm := g.cellLon * 111.0 * math.Cos(math.Min(89, maxLat+0.5)*math.Pi/180)
	g.kmPerCell = 0.99 * math.Min(latKm, lonKm)
	return g
}

func (g *pointGrid) cell(p lonLat) (cy, cx int) {
	return int(math.Floor(p.lat / g.cellLat)), int(math.Floor(p.lon / g.cellLon))
}

func (g *pointGrid) index(cy, cx int) int { return (cy-g.minCY)*g.nx + (cx - g.minCX) }

// cellItems returns the points of cell (y, x), nil off the grid.
func (g *pointGrid) cellItems(y, x int) []int32 {
	y0, x0 := y-g.minCY, x-g.minCX
	if y0 < 0 || y0 >= g.ny || x0 < 0 || x0 >= g.nx {
		return nil
	}
	c := y0*g.nx + x0
	return g.items[g.start[c]:g.start[c+1]]
}

// ringCells appends to buf the cells at Chebyshev distance r from (cy, cx)
// that lie on the grid (a query far outside it would otherwise walk many
// empty cells).
func (g *pointGrid) ringCells(buf [][2]int, cy, cx, r int) [][2]int {
	buf = buf[:0]
	if r == 0 {
		return append(buf, [2]int{cy, cx})
	}
	for x := max(cx-r, g.minCX); x <= min(cx+r, g.minCX+g.nx-1); x++ {
		buf = append(buf, [2]int{cy - r, x}, [2]int{cy + r, x})
	}
	for y := max(cy-r+1, g.minCY); y <= min(cy+r-1, g.minCY+g.ny-1); y++ {
		buf = append(buf, [2]int{y, cx - r}, [2]int{y, cx + r})
	}
	return buf
}

// maxRing is the ring beyond which no cell of the grid lies.
func (g *pointGrid) maxRing(cy, cx int) int {
	y0, x0 := cy-g.minCY, cx-g.minCX
	return max(abs(y0), abs(y0-(g.ny-1)), abs(x0), abs(x0-(g.nx-1)))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// nearest returns the distance to the nearest point and its index (the
// lowest index among equally near ones), or (+Inf, -1) for an empty grid.
// After ring r, every unvisited point is more than r cells away, so more
// than r·kmPerCell km.
func (g *pointGrid) nearest(q lonLat) (float64, int) {
	best, bi := math.Inf(1), -1
	if len(g.pts) == 0 {
		return best, bi
	}
	qr := toRad(q)
	cy, cx := g.cell(q)
	last := g.maxRing(cy, cx)
	var buf [][2]int
	for r := 0; r <= last; r++ {
		buf = g.ringCells(buf, cy, cx, r)
		for _, c := range buf {
			for _, i := range g.cellItems(c[0], c[1]) {
				if a := hav(qr, g.rad[i]); a < best || (a == best && int(i) < bi) {
					best, bi = a, int(i)
				}
			}
		}
		if bi >= 0 && best <= kmToHav(float64(r)*g.kmPerCell) {
			break
		}
	}
	return havToKm(best), bi
}

// within counts the points no further than km from q. A point in ring r
// is more than (r-1) cells away, so rings up to km/kmPerCell + 1 suffice.
func (g *pointGrid) within(q lonLat, km float64) int {
	if len(g.pts) == 0 {
		return 0
	}
	qr := toRad(q)
	lim := kmToHav(km)
	cy, cx := g.cell(q)
	rings := min(g.maxRing(cy, cx), int(math.Floor(km/g.kmPerCell))+1)
	n := 0
	var buf [][2]int
	for r := 0; r <= rings; r++ {
		buf = g.ringCells(buf, cy, cx, r)
		for _, c := range buf {
			for _, i := range g.cellItems(c[0], c[1]) {
				if hav(qr, g.rad[i]) <= lim {
					n++
				}
			}
		}
	}
	return n
}

// access is one query point's nearest distance and count within X.
type access struct {
	km     float64
	within int
}

// nearestAll computes access for every query point, split across the
// machine's cores (the grid is read-only, so safe to share).
func (g *pointGrid) nearestAll(qs []lonLat, withinKm float64) []access {
	out := make([]access, len(qs))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(qs)/1000))
	var wg sync.WaitGroup
	chunk := (len(qs) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(len(qs), (w+1)*chunk)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				km, _ := g.nearest(qs[i])
				out[i] = access{km, g.within(qs[i], withinKm)}
			}
		}()
	}
	wg.Wait()
	return out
}
