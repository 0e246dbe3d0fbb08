package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Centroid returns the area-weighted centroid of a Polygon or MultiPolygon
// (planar in lon/lat, which is fine at LSOA scale; holes are subtracted),
// the mean of a MultiPoint, the length-weighted centroid of a line, and for
// a collection the centroid of its highest-dimension members. Degenerate
// shapes (zero area, zero length) fall back to the centre of the bound. A nil
// geometry gives the zero point.
func Centroid(g orb.Geometry) orb.Point {
	if g == nil {
		return orb.Point{}
	}
	var acc centroidAcc
	acc.add(g)
	switch {
	case acc.area != 0:
		return orb.Point{acc.ref[0] + acc.ax/acc.area, acc.ref[1] + acc.ay/acc.area}
	case acc.length != 0:
		return orb.Point{acc.ref[0] + acc.lx/acc.length, acc.ref[1] + acc.ly/acc.length}
	case acc.points != 0 && acc.onlyPoints:
		return orb.Point{acc.ref[0] + acc.px/float64(acc.points), acc.ref[1] + acc.py/float64(acc.points)}
	}
	return g.Bound().Center()
}

// centroidAcc accumulates area, length and point moments relative to a
// reference point (the first vertex seen) so that small shapes far from the
// origin keep their precision.
type centroidAcc struct {
	refSet     bool
	ref        orb.Point
	area       float64 // signed-corrected area (outer positive, holes negative)
	ax, ay     float64 // area first moments
	length     float64
	lx, ly     float64
	points     int
	px, py     float64
	onlyPoints bool
}

func (c *centroidAcc) setRef(p orb.Point) {
	if !c.refSet {
		c.ref, c.refSet = p, true
		c.onlyPoints = true
	}
}

func (c *centroidAcc) add(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		c.setRef(g)
		c.points++
		c.px += g[0] - c.ref[0]
		c.py += g[1] - c.ref[1]
	case orb.MultiPoint:
		for _, p := range g {
			c.add(p)
		}
	case orb.LineString:
		c.line(g)
	case orb.MultiLineString:
		for _, l := range g {
			c.line(l)
		}
	case orb.Ring:
		c.polygon(orb.Polygon{g})
	case orb.Polygon:
		c.polygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			c.polygon(p)
		}
	case orb.Collection:
		for _, m := range g {
			c.add(m)
		}
	case orb.Bound:
		c.polygon(g.ToPolygon())
	}
}

func (c *centroidAcc) line(l orb.LineString) {
	if len(l) == 0 {
		return
	}
	c.setRef(l[0])
	c.onlyPoints = false
	for i := 1; i < len(l); i++ {
		x0, y0 := l[i-1][0]-c.ref[0], l[i-1][1]-c.ref[1]
		x1, y1 := l[i][0]-c.ref[0], l[i][1]-c.ref[1]
		d := math.Hypot(x1-x0, y1-y0)
		c.length += d
		c.lx += d * (x0 + x1) / 2
		c.ly += d * (y0 + y1) / 2
	}
}

func (c *centroidAcc) polygon(p orb.Polygon) {
	if len(p) == 0 || len(p[0]) == 0 {
		return
	}
	c.setRef(p[0][0])
	c.onlyPoints = false
	for i, r := range p {
		a, mx, my := c.ring(r)
		// The outer ring adds, holes subtract, whatever their winding.
		if (i == 0) != (a > 0) {
			a, mx, my = -a, -mx, -my
		}
		c.area += a
		c.ax += mx
		c.ay += my
	}
}

// ring returns the signed area of r and its first moments (shoelace), in
// coordinates relative to the reference point. The ring need not be closed.
func (c *centroidAcc) ring(r orb.Ring) (a, mx, my float64) {
	n := len(r)
	if n < 3 {
		return 0, 0, 0
	}
	for i := range n {
		j := (i + 1) % n
		x0, y0 := r[i][0]-c.ref[0], r[i][1]-c.ref[1]
		x1, y1 := r[j][0]-c.ref[0], r[j][1]-c.ref[1]
		f := x0*y1 - x1*y0
		a += f
		mx += (x0 + x1) * f
		my += (y0 + y1) * f
	}
	return a / 2, mx / 6, my / 6
}

// ValidateGeometry reports why g cannot be stored as a boundary or point:
// nil or empty geometry, NaN or infinite coordinates, longitude outside
// -180..180 or latitude outside -90..90, or a polygon ring that is not closed
// or has fewer than 4 points. Point, MultiPoint, LineString,
// MultiLineString, Polygon, MultiPolygon and collections of these are
// accepted. It returns nil for a valid geometry.
func ValidateGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case nil:
		return errors.New("null geometry")
	case orb.Point:
		return checkPoint(g)
	case orb.MultiPoint:
		if len(g) == 0 {
			return errors.New("empty MultiPoint")
		}
		return checkPoints(g)
	case orb.LineString:
		if len(g) < 2 {
			return fmt.Errorf("LineString has %d points, need at least 2", len(g))
		}
		return checkPoints(g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("empty MultiLineString")
		}
		for i, l := range g {
			if err := ValidateGeometry(l); err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
		}
		return nil
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("empty MultiPolygon")
		}
		for i, p := range g {
			if err := checkPolygon(p); err != nil {
				return fmt.Errorf("polygon %d: %w", i+1, err)
			}
		}
		return nil
	case orb.Collection:
		if len(g) == 0 {
			return errors.New("empty GeometryCollection")
		}
		for i, m := range g {
			if err := ValidateGeometry(m); err != nil {
				return fmt.Errorf("member %d: %w", i+1, err)
			}
		}
		return nil
	}
	return fmt.Errorf("unsupported geometry type %s", g.GeoJSONType())
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return errors.New("polygon has no rings")
	}
	for i, r := range p {
		if len(r) < 4 {
			return fmt.Errorf("ring %d has %d points, need at least 4", i+1, len(r))
		}
		if err := checkPoints(r); err != nil {
			return fmt.Errorf("ring %d: %w", i+1, err)
		}
		if r[0] != r[len(r)-1] {
			return fmt.Errorf("ring %d is not closed (first %v, last %v)", i+1, r[0], r[len(r)-1])
		}
	}
	return nil
}

func checkPoints(ps []orb.Point) error {
	for i, p := range ps {
		if err := checkPoint(p); err != nil {
			return fmt.Errorf("point %d: %w", i+1, err)
		}
	}
	return nil
}

func checkPoint(p orb.Point) error {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("coordinate %v is not a finite number", v)
		}
	}
	if p[0] < -180 || p[0] > 180 {
		return fmt.Errorf("longitude %v outside -180..180", p[0])
	}
	if p[1] < -90 || p[1] > 90 {
		return fmt.Errorf("latitude %v outside -90..90", p[1])
	}
	return nil
}

// EncodeWKB returns g as little-endian well-known binary (orb
// encoding/wkb.Marshal).
func EncodeWKB(g orb.Geometry) ([]byte, error) {
	return wkb.Marshal(g, binary.LittleEndian)
}

// DecodeWKB parses well-known binary in either byte order.
func DecodeWKB(b []byte) (orb.Geometry, error) {
	return wkb.Unmarshal(b)
}

// transformPoints replaces every coordinate of g in place with f(p). Bounds
// are not coordinates and are returned converted corner by corner.
func transformPoints(g orb.Geometry, f func(orb.Point) orb.Point) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return f(g)
	case orb.MultiPoint:
		mapPoints(g, f)
	case orb.LineString:
		mapPoints(g, f)
	case orb.Ring:
		mapPoints(g, f)
	case orb.MultiLineString:
		for _, l := range g {
			mapPoints(l, f)
		}
	case orb.Polygon:
		for _, r := range g {
			mapPoints(r, f)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				mapPoints(r, f)
			}
		}
	case orb.Collection:
		for i, m := range g {
			g[i] = transformPoints(m, f)
		}
	case orb.Bound:
		return orb.Bound{Min: f(g.Min), Max: f(g.Max)}
	}
	return g
}

func mapPoints(ps []orb.Point, f func(orb.Point) orb.Point) {
	for i, p := range ps {
		ps[i] = f(p)
	}
}

// bngToWGS84Point adapts BNGToWGS84 to transformPoints.
func bngToWGS84Point(p orb.Point) orb.Point {
	lon, lat := BNGToWGS84(p[0], p[1])
	return orb.Point{lon, lat}
}

// looksLikeBNG reports whether a bound can only be British National Grid
// metres: outside lon/lat range, non-negative, and within the grid's extent
// (0..700 km east, 0..1300 km north).
func looksLikeBNG(b orb.Bound) bool {
	if b.Max[0] <= 1000 && b.Max[1] <= 1000 {
		return false
	}
	return b.Min[0] >= 0 && b.Min[1] >= 0 && b.Max[0] <= 800000 && b.Max[1] <= 1300000
}
