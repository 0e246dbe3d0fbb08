package dashboard

import (
	"math"

	"github.com/paulmach/orb"
)

// shape is a point, polygon or multipolygon held compactly in a map layer:
// vertices as fixed-point int32 pairs (1e-7 degrees, about a centimetre),
// rings and polygons as end offsets. orb's [2]float64 points and per-ring
// slices took twice the memory (55 MB for England's LSOAs; issue 5's
// memory target). geometry gives the orb form, a fresh copy each time.
type shape struct {
	xy    []int32 // x0, y0, x1, y1, …
	rings []int32 // end of each ring, in points
	polys []int32 // end of each polygon, in rings
	kind  uint8
}

const (
	shapePoint uint8 = iota + 1
	shapePolygon
	shapeMultiPolygon
)

const shapeScale = 1e7

func fixed(f float64) int32 { return int32(math.Round(f * shapeScale)) }

// packShape packs a point, polygon or multipolygon; other geometries give
// an empty shape.
func packShape(g orb.Geometry) *shape {
	s := &shape{}
	n := countPoints(g)
	s.xy = make([]int32, 0, 2*n)
	addRing := func(r orb.Ring) {
		for _, p := range r {
			s.xy = append(s.xy, fixed(p[0]), fixed(p[1]))
		}
		s.rings = append(s.rings, int32(len(s.xy)/2))
	}
	addPoly := func(p orb.Polygon) {
		for _, r := range p {
			addRing(r)
		}
		s.polys = append(s.polys, int32(len(s.rings)))
	}
	switch g := g.(type) {
	case orb.Point:
		s.kind = shapePoint
		s.xy = append(s.xy, fixed(g[0]), fixed(g[1]))
	case orb.Polygon:
		s.kind = shapePolygon
		s.rings = make([]int32, 0, len(g))
		addPoly(g)
	case orb.MultiPolygon:
		s.kind = shapeMultiPolygon
		s.polys = make([]int32, 0, len(g))
		for _, p := range g {
			addPoly(p)
		}
	}
	return s
}

func (s *shape) point(i int) orb.Point {
	return orb.Point{float64(s.xy[2*i]) / shapeScale, float64(s.xy[2*i+1]) / shapeScale}
}

// points is the number of vertices.
func (s *shape) points() int {
	if s == nil {
		return 0
	}
	return len(s.xy) / 2
}

func (s *shape) bound() orb.Bound {
	if s == nil || len(s.xy) == 0 {
		return orb.Bound{}
	}
	minX, minY, maxX, maxY := s.xy[0], s.xy[1], s.xy[0], s.xy[1]
	for i := 2; i < len(s.xy); i += 2 {
		minX, maxX = min(minX, s.xy[i]), max(maxX, s.xy[i])
		minY, maxY = min(minY, s.xy[i+1]), max(maxY, s.xy[i+1])
	}
	return orb.Bound{
		Min: orb.Point{float64(minX) / shapeScale, float64(minY) / shapeScale},
		Max: orb.Point{float64(maxX) / shapeScale, float64(maxY) / shapeScale},
	}
}

// geometry returns the shape as a new orb geometry (nil for none).
func (s *shape) geometry() orb.Geometry {
	if s == nil {
		return nil
	}
	ring := func(start, end int32) orb.Ring {
		r := make(orb.Ring, end-start)
		for i := range r {
			r[i] = s.point(int(start) + i)
		}
		return r
	}
	poly := func(pi int) orb.Polygon {
		first := int32(0)
		if pi > 0 {
			first = s.polys[pi-1]
		}
		p := make(orb.Polygon, s.polys[pi]-first)
		for i := range p {
			ri := int(first) + i
			start := int32(0)
			if ri > 0 {
				start = s.rings[ri-1]
			}
			p[i] = ring(start, s.rings[ri])
		}
		return p
	}
	switch s.kind {
	case shapePoint:
		return s.point(0)
	case shapePolygon:
		return poly(0)
	case shapeMultiPolygon:
		mp := make(orb.MultiPolygon, len(s.polys))
		for i := range mp {
			mp[i] = poly(i)
		}
		return mp
	}
	return nil
}
