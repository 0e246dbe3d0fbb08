package format

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestCentroid(t *testing.T) {
	square := orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}
	// A hole of 2x2 in the corner, wound the same way as the outer ring
	// (winding must not matter): (16*(2,2) - 4*(1,1)) / 12 = (7/3, 7/3).
	hole := orb.Ring{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}
	cw := orb.Ring{{0, 0}, {0, 4}, {4, 4}, {4, 0}, {0, 0}}
	far := orb.Ring{{-2.2, 53.4}, {-2.1999, 53.4}, {-2.1999, 53.4001}, {-2.2, 53.4001}, {-2.2, 53.4}}
	tests := []struct {
		name string
		g    orb.Geometry
		want orb.Point
		tol  float64
	}{
		{"nil", nil, orb.Point{}, 0},
		{"point", orb.Point{-2, 53}, orb.Point{-2, 53}, 0},
		{"multipoint", orb.MultiPoint{{0, 0}, {2, 0}, {4, 6}}, orb.Point{2, 2}, 1e-12},
		{"square", orb.Polygon{square}, orb.Point{2, 2}, 1e-12},
		{"clockwise square", orb.Polygon{cw}, orb.Point{2, 2}, 1e-12},
		{"hole", orb.Polygon{square, hole}, orb.Point{7.0 / 3, 7.0 / 3}, 1e-12},
		{"hole reversed", orb.Polygon{cw, hole}, orb.Point{7.0 / 3, 7.0 / 3}, 1e-12},
		// Area-weighted: 16 at (2,2) and 4 at (11,1): (32+44, 32+4)/20.
		{"multipolygon", orb.MultiPolygon{{square}, {{{10, 0}, {12, 0}, {12, 2}, {10, 2}, {10, 0}}}}, orb.Point{76.0 / 20, 36.0 / 20}, 1e-12},
		// An L-shape's centroid is not its bound centre (2, 2).
		{"L shape", orb.Polygon{{{0, 0}, {4, 0}, {4, 1}, {1, 1}, {1, 4}, {0, 4}, {0, 0}}}, orb.Point{(4*2 + 3*0.5) / 7, (4*0.5 + 3*2.5) / 7}, 1e-12},
		{"line", orb.LineString{{0, 0}, {2, 0}, {2, 1}}, orb.Point{(2*1 + 1*2) / 3.0, (0 + 1*0.5) / 3.0}, 1e-12},
		{"degenerate ring is bound centre", orb.Polygon{{{0, 0}, {2, 2}, {4, 4}, {0, 0}}}, orb.Point{2, 2}, 0},
		{"zero-length line", orb.LineString{{1, 1}, {1, 1}}, orb.Point{1, 1}, 0},
		// A 7 m building far from the origin keeps its precision.
		{"small far polygon", orb.Polygon{far}, orb.Point{-2.19995, 53.40005}, 1e-12},
		{"collection uses the polygon", orb.Collection{orb.Point{100, 100}, orb.Polygon{square}}, orb.Point{2, 2}, 1e-12},
	}
	for _, tc := range tests {
		got := Centroid(tc.g)
		if math.Abs(got[0]-tc.want[0]) > tc.tol || math.Abs(got[1]-tc.want[1]) > tc.tol {
			t.Errorf("%s: Centroid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidateGeometry(t *testing.T) {
	sq := orb.Ring{{-2, 53}, {-1, 53}, {-1, 54}, {-2, 54}, {-2, 53}}
	tests := []struct {
		name string
		g    orb.Geometry
		err  string // "" means valid
	}{
		{"polygon", orb.Polygon{sq}, ""},
		{"multipolygon", orb.MultiPolygon{{sq}, {sq}}, ""},
		{"point", orb.Point{180, -90}, ""},
		{"line", orb.LineString{{0, 0}, {1, 1}}, ""},
		{"multipoint", orb.MultiPoint{{0, 0}}, ""},
		{"collection", orb.Collection{orb.Point{0, 0}, orb.Polygon{sq}}, ""},
		{"nil", nil, "null geometry"},
		{"unclosed", orb.Polygon{sq[:4]}, "ring 1 is not closed"},
		{"unclosed 5", orb.Polygon{{{-2, 53}, {-1, 53}, {-1, 54}, {-2, 54}, {-2, 53.5}}}, "not closed"},
		{"short ring", orb.Polygon{{{0, 0}, {1, 1}, {0, 0}}}, "has 3 points"},
		{"hole unclosed", orb.Polygon{sq, {{-1.5, 53.5}, {-1.4, 53.5}, {-1.4, 53.6}, {-1.5, 53.6}}}, "ring 2"},
		{"empty polygon", orb.Polygon{}, "no rings"},
		{"empty multipolygon", orb.MultiPolygon{}, "empty"},
		{"second polygon bad", orb.MultiPolygon{{sq}, {sq[:3]}}, "polygon 2"},
		{"lon", orb.Point{181, 0}, "longitude"},
		{"lat", orb.Point{0, -90.5}, "latitude"},
		{"BNG metres", orb.Polygon{{{330000, 430000}, {331000, 430000}, {331000, 431000}, {330000, 430000}}}, "longitude"},
		{"NaN", orb.Point{math.NaN(), 0}, "finite"},
		{"Inf", orb.LineString{{0, 0}, {0, math.Inf(1)}}, "finite"},
		{"one-point line", orb.LineString{{0, 0}}, "at least 2"},
		{"bound", orb.Bound{}, "unsupported"},
		{"empty collection", orb.Collection{}, "empty"},
	}
	for _, tc := range tests {
		err := ValidateGeometry(tc.g)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

func TestWKBRoundTrip(t *testing.T) {
	geoms := []orb.Geometry{
		orb.Point{-2.5, 53.5},
		orb.Polygon{{{-2, 53}, {-1, 53}, {-1, 54}, {-2, 54}, {-2, 53}}},
		orb.MultiPolygon{{{{-2, 53}, {-1, 53}, {-1, 54}, {-2, 53}}}, {{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		orb.LineString{{0, 0}, {1, 2}},
	}
	for _, g := range geoms {
		b, err := EncodeWKB(g)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 1 {
			t.Errorf("%s: byte order %d, want 1 (little endian)", g.GeoJSONType(), b[0])
		}
		back, err := DecodeWKB(b)
		if err != nil || !orb.Equal(back, g) {
			t.Errorf("%s: round trip %v %v", g.GeoJSONType(), back, err)
		}
	}
	// Point: 1 byte order + 4 type + 16 coordinates.
	if b, _ := EncodeWKB(orb.Point{1, 2}); len(b) != 21 || b[1] != 1 {
		t.Errorf("point WKB % x", b)
	}
	if _, err := DecodeWKB([]byte{1, 2, 3}); err == nil {
		t.Error("DecodeWKB accepted garbage")
	}
}

func TestLooksLikeBNG(t *testing.T) {
	for _, tc := range []struct {
		b    orb.Bound
		want bool
	}{
		{orb.Bound{Min: orb.Point{330000, 430000}, Max: orb.Point{331000, 431000}}, true},
		{orb.Bound{Min: orb.Point{-3, 53}, Max: orb.Point{-2, 54}}, false},
		{orb.Bound{Min: orb.Point{-3, 53}, Max: orb.Point{2000, 54}}, false}, // negative: not BNG
		{orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{900000, 100}}, false},
		{orb.Bound{Min: orb.Point{90000, 10000}, Max: orb.Point{90001, 10001}}, true},
	} {
		if got := looksLikeBNG(tc.b); got != tc.want {
			t.Errorf("looksLikeBNG(%v) = %v", tc.b, got)
		}
	}
}
