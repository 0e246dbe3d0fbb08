package dashboard

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestShapeRoundTrip(t *testing.T) {
	sq := func(x, y float64) orb.Ring {
		return orb.Ring{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}}
	}
	hole := func(x, y float64) orb.Ring {
		return orb.Ring{{x, y}, {x, y + 0.002}, {x + 0.002, y + 0.002}, {x + 0.002, y}, {x, y}}
	}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
	}{
		{"point", orb.Point{-2.3456789, 53.4567891}},
		{"polygon with hole", orb.Polygon{sq(-2.4, 53.4), hole(-2.398, 53.402)}},
		{"multipolygon", orb.MultiPolygon{{sq(-2.4, 53.4)}, {sq(-1.2, 52.1), hole(-1.198, 52.102)}, {sq(0.1, 51.5)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := packShape(tc.g)
			got := s.geometry()
			if got.GeoJSONType() != tc.g.GeoJSONType() {
				t.Fatalf("type %s, want %s", got.GeoJSONType(), tc.g.GeoJSONType())
			}
			want := countPoints(tc.g) // polygon vertices
			if _, ok := tc.g.(orb.Point); ok {
				want = 1
			}
			if s.points() != want || countPoints(got) != countPoints(tc.g) {
				t.Fatalf("points %d and %d, want %d", s.points(), countPoints(got), want)
			}
			if !orb.Equal(orb.Round(got, 7), orb.Round(orb.Clone(tc.g), 7)) {
				t.Errorf("got %v, want %v", got, tc.g)
			}
			b, wantB := s.bound(), tc.g.Bound()
			for i, d := range []float64{b.Min[0] - wantB.Min[0], b.Min[1] - wantB.Min[1], b.Max[0] - wantB.Max[0], b.Max[1] - wantB.Max[1]} {
				if math.Abs(d) > 1e-7 {
					t.Errorf("bound %d off by %g", i, d)
				}
			}
			// geometry is a copy: changing it leaves the shape alone.
			switch g := got.(type) {
			case orb.Polygon:
				g[0][0] = orb.Point{}
			case orb.MultiPolygon:
				g[0][0][0] = orb.Point{}
			}
			if !orb.Equal(orb.Round(s.geometry(), 7), orb.Round(orb.Clone(tc.g), 7)) {
				t.Error("shape changed")
			}
		})
	}
	if g := (*shape)(nil).geometry(); g != nil {
		t.Errorf("zero shape gives %v", g)
	}
}
