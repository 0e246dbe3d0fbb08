package demo

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// The geometry is built in a local plane: kilometres east (X) and north (Y)
// of the origin (originLon, originLat). Cells are Voronoi cells of seeded
// points; every cell vertex lives once in a shared vertex pool and rings are
// lists of pool indices, so neighbouring cells share their edges exactly and
// unions are computed by cancelling edges, never by floating-point overlay.

// Origin of the local plane. The point lies in the Irish Sea, about 25 km
// east of the Isle of Man and 45 km west of Walney Island; the whole
// synthetic authority stays within about 8 km of it, so it can never overlap
// a real English (or Manx) area.
const (
	originLon = -3.95
	originLat = 54.05
)

// Kilometres per degree at the origin (spherical approximation, ample for a
// synthetic map a few kilometres across).
var (
	kmPerDegLat = 110.574
	kmPerDegLon = 111.320 * math.Cos(originLat*math.Pi/180)
)

// toLonLat converts a local point (km) to longitude and latitude rounded to
// 6 decimal places (about 0.1 m), the precision written to every file.
func toLonLat(p orb.Point) orb.Point {
	return orb.Point{round6(originLon + p[0]/kmPerDegLon), round6(originLat + p[1]/kmPerDegLat)}
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func roundN(v float64, n int) float64 {
	s := math.Pow(10, float64(n))
	return math.Round(v*s) / s
}

// vertexPool deduplicates vertices: points closer than tol share one index.
// The tolerance (a few metres) is far larger than the floating-point noise
// between the copies of one Voronoi vertex computed from different cells, and
// far smaller than any real edge, so it also removes slivers that would
// collapse when coordinates are rounded to 6 decimal places.
type vertexPool struct {
	tol  float64
	pts  []orb.Point
	grid map[[2]int64][]int
}

func newVertexPool(tol float64) *vertexPool {
	return &vertexPool{tol: tol, grid: make(map[[2]int64][]int)}
}

func (vp *vertexPool) key(p orb.Point) [2]int64 {
	return [2]int64{int64(math.Floor(p[0] / vp.tol)), int64(math.Floor(p[1] / vp.tol))}
}

func (vp *vertexPool) add(p orb.Point) int {
	k := vp.key(p)
	best, bestD := -1, vp.tol*vp.tol
	for dx := int64(-1); dx <= 1; dx++ {
		for dy := int64(-1); dy <= 1; dy++ {
			for _, i := range vp.grid[[2]int64{k[0] + dx, k[1] + dy}] {
				q := vp.pts[i]
				d := (q[0]-p[0])*(q[0]-p[0]) + (q[1]-p[1])*(q[1]-p[1])
				if d <= bestD && (best < 0 || d < bestD || i < best) {
					best, bestD = i, d
				}
			}
		}
	}
	if best >= 0 {
		return best
	}
	vp.pts = append(vp.pts, p)
	i := len(vp.pts) - 1
	vp.grid[k] = append(vp.grid[k], i)
	return i
}

// voronoiCell returns the Voronoi cell of sites[i] among all sites, clipped to
// the square [-half, half]^2, as a counter-clockwise ring (not closed). The
// cell is convex; it is computed by clipping the square with the half-plane
// bisector against each other site, nearest first, stopping once no further
// site can reach the cell.
func voronoiCell(sites []orb.Point, i int, half float64) []orb.Point {
	p := sites[i]
	cell := []orb.Point{{-half, -half}, {half, -half}, {half, half}, {-half, half}}
	order := make([]int, 0, len(sites)-1)
	for j := range sites {
		if j != i {
			order = append(order, j)
		}
	}
	d2 := func(j int) float64 {
		q := sites[j]
		return (q[0]-p[0])*(q[0]-p[0]) + (q[1]-p[1])*(q[1]-p[1])
	}
	slices.SortStableFunc(order, func(a, b int) int {
		da, db := d2(a), d2(b)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return a - b
	})
	for _, j := range order {
		// A site farther than twice the cell's radius cannot cut it.
		maxR2 := 0.0
		for _, v := range cell {
			maxR2 = math.Max(maxR2, (v[0]-p[0])*(v[0]-p[0])+(v[1]-p[1])*(v[1]-p[1]))
		}
		if d2(j) > 4*maxR2 {
			break
		}
		cell = clipBisector(cell, p, sites[j])
	}
	return cell
}

// clipBisector keeps the part of the convex ring poly that is at least as
// close to p as to q (Sutherland-Hodgman against one half-plane).
func clipBisector(poly []orb.Point, p, q orb.Point) []orb.Point {
	m := orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
	d := orb.Point{q[0] - p[0], q[1] - p[1]}
	side := func(x orb.Point) float64 { return (x[0]-m[0])*d[0] + (x[1]-m[1])*d[1] }
	out := make([]orb.Point, 0, len(poly)+1)
	for k := range poly {
		a, b := poly[k], poly[(k+1)%len(poly)]
		sa, sb := side(a), side(b)
		if sa <= 0 {
			out = append(out, a)
		}
		if (sa <= 0) != (sb <= 0) {
			t := sa / (sa - sb)
			out = append(out, orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t})
		}
	}
	return out
}

// idRing is a ring of vertex-pool indices, not closed (first != last).
type idRing []int

// idPolygon is one shell (counter-clockwise) followed by its holes
// (clockwise).
type idPolygon []idRing

// edge is a directed edge between two pool vertices.
type edge struct{ a, b int }

// dissolve returns the union of cells (counter-clockwise id rings that tile
// without overlap) as polygons: directed edges that appear in both
// directions are interior and cancel; the remaining edges are walked into
// rings. At a vertex where the boundary touches itself the walk takes the
// sharpest clockwise turn, so every ring stays simple. Shells are
// counter-clockwise and holes clockwise (RFC 7946). The result is sorted so
// that it depends only on the input, not on map order.
func dissolve(pts []orb.Point, cells []idRing) ([]idPolygon, error) {
	count := make(map[edge]int)
	for _, c := range cells {
		for k := range c {
			count[edge{c[k], c[(k+1)%len(c)]}]++
		}
	}
	var boundary []edge
	for e, n := range count {
		if n > 1 {
			return nil, fmt.Errorf("dissolve: edge %d-%d used %d times (cells overlap)", e.a, e.b, n)
		}
		if count[edge{e.b, e.a}] == 0 {
			boundary = append(boundary, e)
		}
	}
	slices.SortFunc(boundary, func(x, y edge) int {
		if x.a != y.a {
			return x.a - y.a
		}
		return x.b - y.b
	})
	out := make(map[int][]int) // vertex -> indices into boundary
	for i, e := range boundary {
		out[e.a] = append(out[e.a], i)
	}
	used := make([]bool, len(boundary))
	var rings []idRing
	for start := range boundary {
		if used[start] {
			continue
		}
		var ring idRing
		cur := start
		for {
			used[cur] = true
			e := boundary[cur]
			ring = append(ring, e.a)
			if e.b == boundary[start].a {
				break
			}
			next := -1
			bestTurn := math.Inf(1)
			back := angle(pts[e.b], pts[e.a])
			for _, c := range out[e.b] {
				if used[c] {
					continue
				}
				// Clockwise angle from the way back to the candidate.
				turn := back - angle(pts[e.b], pts[boundary[c].b])
				for turn <= 0 {
					turn += 2 * math.Pi
				}
				if turn < bestTurn {
					next, bestTurn = c, turn
				}
			}
			if next < 0 {
				return nil, fmt.Errorf("dissolve: open boundary at vertex %d", e.b)
			}
			cur = next
		}
		if len(ring) < 3 {
			return nil, fmt.Errorf("dissolve: degenerate ring of %d vertices", len(ring))
		}
		rings = append(rings, ring)
	}
	var polys []idPolygon
	var holes []idRing
	for _, r := range rings {
		if ringArea(pts, r) > 0 {
			polys = append(polys, idPolygon{r})
		} else {
			holes = append(holes, r)
		}
	}
	for _, h := range holes {
		// The midpoint of a hole edge is never on a shell boundary.
		a, b := pts[h[0]], pts[h[1]]
		mid := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
		placed := false
		for i := range polys {
			if ringContains(pts, polys[i][0], mid) {
				polys[i] = append(polys[i], h)
				placed = true
				break
			}
		}
		if !placed {
			return nil, fmt.Errorf("dissolve: hole without a shell")
		}
	}
	// Largest shell first.
	slices.SortStableFunc(polys, func(x, y idPolygon) int {
		ax, ay := ringArea(pts, x[0]), ringArea(pts, y[0])
		switch {
		case ax > ay:
			return -1
		case ax < ay:
			return 1
		}
		return 0
	})
	return polys, nil
}

func angle(from, to orb.Point) float64 { return math.Atan2(to[1]-from[1], to[0]-from[0]) }

// ringArea is the signed shoelace area (positive = counter-clockwise).
func ringArea(pts []orb.Point, r idRing) float64 {
	s := 0.0
	for k := range r {
		a, b := pts[r[k]], pts[r[(k+1)%len(r)]]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s / 2
}

func ringContains(pts []orb.Point, r idRing, p orb.Point) bool {
	in := false
	for k := range r {
		a, b := pts[r[k]], pts[r[(k+1)%len(r)]]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if p[0] < x {
				in = !in
			}
		}
	}
	return in
}

// lonLatMulti converts id polygons to a lon/lat MultiPolygon with closed
// rings and 6-dp coordinates.
func lonLatMulti(pts []orb.Point, polys []idPolygon) orb.MultiPolygon {
	mp := make(orb.MultiPolygon, 0, len(polys))
	for _, p := range polys {
		poly := make(orb.Polygon, 0, len(p))
		for _, r := range p {
			ring := make(orb.Ring, 0, len(r)+1)
			for _, id := range r {
				ring = append(ring, toLonLat(pts[id]))
			}
			ring = append(ring, ring[0])
			poly = append(poly, ring)
		}
		mp = append(mp, poly)
	}
	return mp
}

// British National Grid. The schools file carries easting and northing as
// well as longitude and latitude. Rather than a crude local approximation we
// use the Ordnance Survey method ("A guide to coordinate systems in Great
// Britain"): WGS84 -> OSGB36 by the 7-parameter Helmert transformation
// (about 5 m, against 0.1 m for the official OSTN15 grid, which is not
// worth 15 MB for synthetic points), then the Transverse Mercator projection
// on the Airy 1830 ellipsoid (Annex C).
const (
	airyA = 6377563.396
	airyB = 6356256.909
	wgsA  = 6378137.0
	wgsB  = 6356752.314245
	f0    = 0.9996012717
	e0    = 400000.0
	n0    = -100000.0
)

// wgs84ToBNG converts WGS84 longitude and latitude (degrees) to British
// National Grid easting and northing (metres).
func wgs84ToBNG(lon, lat float64) (easting, northing float64) {
	const deg = math.Pi / 180
	const arcsec = deg / 3600
	x, y, z := toCartesian(lat*deg, lon*deg, wgsA, wgsB)
	// WGS84 -> OSGB36 (OS guide, table 6).
	tx, ty, tz := -446.448, 125.157, -542.060
	s := 20.4894e-6
	rx, ry, rz := -0.1502*arcsec, -0.2470*arcsec, -0.8421*arcsec
	x2 := tx + (1+s)*x - rz*y + ry*z
	y2 := ty + rz*x + (1+s)*y - rx*z
	z2 := tz - ry*x + rx*y + (1+s)*z
	phi, lam := fromCartesian(x2, y2, z2, airyA, airyB)
	return tmForward(phi, lam)
}

func toCartesian(phi, lam, a, b float64) (x, y, z float64) {
	e2 := (a*a - b*b) / (a * a)
	nu := a / math.Sqrt(1-e2*math.Sin(phi)*math.Sin(phi))
	return nu * math.Cos(phi) * math.Cos(lam), nu * math.Cos(phi) * math.Sin(lam), (1 - e2) * nu * math.Sin(phi)
}

func fromCartesian(x, y, z, a, b float64) (phi, lam float64) {
	e2 := (a*a - b*b) / (a * a)
	p := math.Hypot(x, y)
	lam = math.Atan2(y, x)
	phi = math.Atan2(z, p*(1-e2))
	for range 10 {
		nu := a / math.Sqrt(1-e2*math.Sin(phi)*math.Sin(phi))
		phi = math.Atan2(z+e2*nu*math.Sin(phi), p)
	}
	return phi, lam
}

// tmForward projects OSGB36 latitude and longitude (radians) to the National
// Grid (OS guide, Annex C, equations C1-C3).
func tmForward(phi, lam float64) (easting, northing float64) {
	const phi0 = 49 * math.Pi / 180
	const lam0 = -2 * math.Pi / 180
	a, b := airyA, airyB
	e2 := (a*a - b*b) / (a * a)
	n := (a - b) / (a + b)
	sinP, cosP := math.Sin(phi), math.Cos(phi)
	tanP := math.Tan(phi)
	nu := a * f0 / math.Sqrt(1-e2*sinP*sinP)
	rho := a * f0 * (1 - e2) / math.Pow(1-e2*sinP*sinP, 1.5)
	eta2 := nu/rho - 1
	dp, sp := phi-phi0, phi+phi0
	m := b * f0 * ((1+n+1.25*n*n+1.25*n*n*n)*dp -
		(3*n+3*n*n+21.0/8*n*n*n)*math.Sin(dp)*math.Cos(sp) +
		(15.0/8*n*n+15.0/8*n*n*n)*math.Sin(2*dp)*math.Cos(2*sp) -
		35.0/24*n*n*n*math.Sin(3*dp)*math.Cos(3*sp))
	i := m + n0
	ii := nu / 2 * sinP * cosP
	iii := nu / 24 * sinP * math.Pow(cosP, 3) * (5 - tanP*tanP + 9*eta2)
	iiia := nu / 720 * sinP * math.Pow(cosP, 5) * (61 - 58*tanP*tanP + math.Pow(tanP, 4))
	iv := nu * cosP
	v := nu / 6 * math.Pow(cosP, 3) * (nu/rho - tanP*tanP)
	vi := nu / 120 * math.Pow(cosP, 5) * (5 - 18*tanP*tanP + math.Pow(tanP, 4) + 14*eta2 - 58*tanP*tanP*eta2)
	dl := lam - lam0
	northing = i + ii*dl*dl + iii*math.Pow(dl, 4) + iiia*math.Pow(dl, 6)
	easting = e0 + iv*dl + v*math.Pow(dl, 3) + vi*math.Pow(dl, 5)
	return easting, northing
}
