// Package geo finds which area a point lies in: an R-tree over the bounding
// boxes of polygons (github.com/tidwall/rtree), then an exact planar
// point-in-polygon test (orb/planar) on the few candidates the tree returns.
//
// Coordinates are used as given, planar: lon/lat degrees for the boundaries
// Commonground stores. At the scale of LSOAs and wards the curvature of the
// earth makes no difference to which polygon contains a point.
package geo

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
)

// Area is one area to index: its code and its boundary, a Polygon or a
// MultiPolygon.
type Area struct {
	Code     string
	Geometry orb.Geometry
}

// AreaFromWKB decodes a WKB boundary (as stored in areas.geometry) into an
// Area. The bytes are not retained.
func AreaFromWKB(code string, b []byte) (Area, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return Area{}, fmt.Errorf("area %s: decode WKB: %w", code, err)
	}
	return Area{Code: code, Geometry: g}, nil
}

// part is one polygon of an area, the unit the R-tree indexes: the parts of
// a MultiPolygon (islands, detached bits) get their own, tighter boxes.
type part struct {
	area  int32 // index into Index.codes
	bound orb.Bound
	poly  orb.Polygon
}

// Index answers "which area contains this point". Build it with Build. It
// is read-only once built and safe for concurrent use.
type Index struct {
	codes []string // sorted
	parts []part   // ordered by area (code order), then by position in the MultiPolygon
	tree  rtree.RTreeG[int32]
}

// ErrDuplicateCode is returned by Build when two areas share a code.
var ErrDuplicateCode = errors.New("duplicate area code")

// Build indexes areas. Codes must be unique; geometries must be Polygon or
// MultiPolygon (empty polygons and empty rings are skipped). The areas
// slice is not retained but the geometries are: do not modify them after.
func Build(areas []Area) (*Index, error) {
	sorted := slices.Clone(areas)
	slices.SortFunc(sorted, func(a, b Area) int { return cmp.Compare(a.Code, b.Code) })
	ix := &Index{codes: make([]string, 0, len(sorted))}
	for i, a := range sorted {
		if i > 0 && a.Code == sorted[i-1].Code {
			return nil, fmt.Errorf("build index: %w: %s", ErrDuplicateCode, a.Code)
		}
		var polys []orb.Polygon
		switch g := a.Geometry.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		default:
			return nil, fmt.Errorf("build index: area %s: %T is not a polygon", a.Code, a.Geometry)
		}
		ai := int32(len(ix.codes))
		ix.codes = append(ix.codes, a.Code)
		for _, p := range polys {
			if len(p) == 0 || len(p[0]) == 0 {
				continue
			}
			ix.parts = append(ix.parts, part{area: ai, bound: p.Bound(), poly: p})
		}
	}
	for i, p := range ix.parts {
		ix.tree.Insert([2]float64(p.bound.Min), [2]float64(p.bound.Max), int32(i))
	}
	return ix, nil
}

// Len is the number of areas indexed.
func (ix *Index) Len() int { return len(ix.codes) }

// Locate returns the code of the area containing p. A point on the boundary
// counts as inside (orb/planar's rule), so a point on an edge shared by two
// areas, or in an overlap, is in both: Locate then returns the one whose
// code sorts first, so the answer never depends on insertion or tree order.
// A point in a hole is not in the area. ok is false when no area contains p
// (or p is not a finite point).
func (ix *Index) Locate(p orb.Point) (code string, ok bool) {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
		return "", false
	}
	var buf [16]int32
	cands := buf[:0]
	ix.tree.Search([2]float64(p), [2]float64(p), func(_, _ [2]float64, i int32) bool {
		cands = append(cands, i)
		return true
	})
	// Parts are stored in code order, so testing candidates in index order
	// finds the first area by code; stop at the first hit.
	slices.Sort(cands)
	for _, i := range cands {
		pt := &ix.parts[i]
		if planar.PolygonContains(pt.poly, p) {
			return ix.codes[pt.area], true
		}
	}
	return "", false
}
