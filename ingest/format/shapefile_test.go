package format

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"
)

// bngPRJ is the .prj of the real South West file: a generic Transverse
// Mercator on the Airy spheroid, with no EPSG code and no "British" name.
const bngPRJ = `PROJCS["Transverse_Mercator",GEOGCS["GCS_Airy 1830",DATUM["D_unknown",SPHEROID["airy",6377563.396,299.3249646]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",49],PARAMETER["central_meridian",-2],PARAMETER["scale_factor",0.9996012717],PARAMETER["false_easting",400000],PARAMETER["false_northing",-100000],UNIT["Meter",1]]`

// testShape is one record for writeShp: shape type and parts (a Point uses
// parts[0][0]); typ 0 is a null shape.
type testShape struct {
	typ   uint32
	parts [][]orb.Point
}

// writeShp encodes a .shp (and its .shx) by the ESRI white paper layout.
func writeShp(shapes []testShape) (shp, shx []byte) {
	var recs bytes.Buffer
	var index bytes.Buffer
	le, be := binary.LittleEndian, binary.BigEndian
	for i, s := range shapes {
		var c bytes.Buffer
		w := func(v any) { _ = binary.Write(&c, le, v) }
		w(s.typ)
		switch s.typ {
		case 1:
			w(s.parts[0][0][0])
			w(s.parts[0][0][1])
		case 5, 15:
			var all []orb.Point
			for _, p := range s.parts {
				all = append(all, p...)
			}
			b := orb.MultiPoint(all).Bound()
			w([4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]})
			w(int32(len(s.parts)))
			w(int32(len(all)))
			start := 0
			for _, p := range s.parts {
				w(int32(start))
				start += len(p)
			}
			for _, p := range all {
				w(p[0])
				w(p[1])
			}
			if s.typ == 15 { // Z range and values, M range and values
				w([2]float64{0, 0})
				for range all {
					w(float64(7))
				}
				w([2]float64{0, 0})
				for range all {
					w(float64(0))
				}
			}
		}
		off := 50 + recs.Len()/2
		var h [8]byte
		be.PutUint32(h[0:], uint32(i+1))
		be.PutUint32(h[4:], uint32(c.Len()/2))
		recs.Write(h[:])
		recs.Write(c.Bytes())
		var ix [8]byte
		be.PutUint32(ix[0:], uint32(off))
		be.PutUint32(ix[4:], uint32(c.Len()/2))
		index.Write(ix[:])
	}
	header := func(length int) []byte {
		h := make([]byte, 100)
		be.PutUint32(h[0:], 9994)
		be.PutUint32(h[24:], uint32(length/2))
		le.PutUint32(h[28:], 1000)
		le.PutUint32(h[32:], 5)
		return h
	}
	shp = append(header(100+recs.Len()), recs.Bytes()...)
	shx = append(header(100+index.Len()), index.Bytes()...)
	return shp, shx
}

type dbfCol struct {
	name string
	typ  byte
	size int
}

// writeDBF encodes a dBase III table; a record starting with "*" in its
// first value is marked deleted.
func writeDBF(cols []dbfCol, rows [][]string) []byte {
	var b bytes.Buffer
	rlen := 1
	for _, c := range cols {
		rlen += c.size
	}
	h := make([]byte, 32)
	h[0] = 3
	binary.LittleEndian.PutUint32(h[4:], uint32(len(rows)))
	binary.LittleEndian.PutUint16(h[8:], uint16(32+32*len(cols)+1))
	binary.LittleEndian.PutUint16(h[10:], uint16(rlen))
	b.Write(h)
	for _, c := range cols {
		d := make([]byte, 32)
		copy(d, c.name)
		d[11] = c.typ
		d[16] = byte(c.size)
		b.Write(d)
	}
	b.WriteByte(0x0D)
	for _, r := range rows {
		flag := byte(' ')
		if strings.HasPrefix(r[0], "*") {
			flag = '*'
		}
		b.WriteByte(flag)
		for i, c := range cols {
			v := []byte(strings.TrimPrefix(r[i], "*"))
			pad := bytes.Repeat([]byte{' '}, c.size-len(v))
			if c.typ == 'N' {
				b.Write(pad)
				b.Write(v)
			} else {
				b.Write(v)
				b.Write(pad)
			}
		}
	}
	b.WriteByte(0x1A)
	return b.Bytes()
}

// writeZip stores the members in a zip in dir.
func writeZip(t *testing.T, dir, name string, members map[string][]byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, data := range members {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// square returns a closed square ring; clockwise when cw.
func square(x, y, size float64, cw bool) []orb.Point {
	r := []orb.Point{{x, y}, {x + size, y}, {x + size, y + size}, {x, y + size}, {x, y}}
	if cw {
		r = []orb.Point{{x, y}, {x, y + size}, {x + size, y + size}, {x + size, y}, {x, y}}
	}
	return r
}

func shpTestSpec() FileSpec {
	return FileSpec{Kind: "shp", Geometry: true, LineColumn: "line", RawColumn: "raw", Columns: []Column{
		{Name: "code", Aliases: []string{"CODE"}, Required: true, NotNull: true},
		{Name: "name", Aliases: []string{"NAME"}},
		{Name: "area", Type: Float, Aliases: []string{"AREA"}},
		{Name: "ok", Type: Bool, Aliases: []string{"OK"}},
		{Name: "day", Type: Date, Aliases: []string{"DAY"}},
	}}
}

func fixtureShapes() ([]byte, []byte, []byte) {
	e, n := 331534.552, 431920.792 // OS test point BLAC
	shapes := []testShape{
		// 1: 1 km square (clockwise: outer) with a 200 m hole (anticlockwise).
		{5, [][]orb.Point{square(e-500, n-500, 1000, true), square(e-100, n-100, 200, false)}},
		// 2: two outer rings -> MultiPolygon; PolygonZ.
		{15, [][]orb.Point{square(e-5000, n, 1000, true), square(e+5000, n, 1000, true)}},
		// 3: null shape.
		{0, nil},
		// 4: deleted in the DBF.
		{5, [][]orb.Point{square(e, n, 10, true)}},
		// 5: a point.
		{1, [][]orb.Point{{{e, n}}}},
	}
	shp, shx := writeShp(shapes)
	dbf := writeDBF([]dbfCol{{"CODE", 'C', 9}, {"NAME", 'C', 20}, {"AREA", 'N', 12}, {"OK", 'L', 1}, {"DAY", 'D', 8}}, [][]string{
		{"E01000001", "Caf\xe9 ward", "1000000.5", "T", "20240131"},
		{"E01000002", "Two", "2000000", "F", ""},
		{"E01000003", "Null", "", "?", ""},
		{"*E01000004", "Deleted", "1", "T", ""},
		{"E01000005", "Point", "**********", "Y", "19991231"},
	})
	return shp, shx, dbf
}

func readShapefile(t *testing.T, p string, spec FileSpec) ([]geoRow, *GeoReader) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rd, err := NewShapefileReader(p, filepath.Base(p), spec, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rd.Release()
		mem.AssertSize(t, 0)
	})
	return readGeoAll(t, rd), rd
}

func TestShapefileFixture(t *testing.T) {
	shp, shx, dbf := fixtureShapes()
	p := writeZip(t, t.TempDir(), "areas.zip", map[string][]byte{
		"areas/areas.shp": shp, "areas/areas.shx": shx, "areas/areas.dbf": dbf,
		"areas/areas.prj": []byte(bngPRJ), "__MACOSX/areas/._areas.shp": {0},
	})
	rows, rd := readShapefile(t, p, shpTestSpec())
	st := rd.Stats()
	if len(rows) != 3 || st.Rows != 3 || st.Rejected != 1 || st.Blank != 1 || st.DataLines != 4 {
		t.Fatalf("%d rows, stats %+v, rejects %v", len(rows), st, rd.Rejects())
	}
	if rj := rd.Rejects()[0]; rj.Line != 3 || rj.Column != "geometry" || rj.Reason != "null geometry" {
		t.Errorf("reject %+v", rj)
	}
	a, b, pt := rows[0], rows[1], rows[2]
	// No .cpg: ISO-8859-1, so 0xE9 is é.
	if a.text[0] != "E01000001" || a.text[1] != "Café ward" || a.floats[2] != 1000000.5 || !a.bools[3] || a.line != 1 {
		t.Errorf("row 1 %+v", a)
	}
	if a.raw != `{"CODE":"E01000001","NAME":"Café ward","AREA":"1000000.5","OK":"true","DAY":"20240131"}` {
		t.Errorf("raw %s", a.raw)
	}
	if b.bools[3] || b.nulls[3] || !b.nulls[4] || b.line != 2 {
		t.Errorf("row 2 %+v", b)
	}
	if !pt.nulls[2] || !pt.bools[3] || pt.line != 5 || pt.geomType() != "Point" {
		t.Errorf("row 5 %+v", pt)
	}
	// Polygon with its hole; BNG converted: the centroid of a square with a
	// centred hole is the test point, OSTN15 lon/lat within ~5 m.
	poly, ok := a.geom.(orb.Polygon)
	if !ok || len(poly) != 2 {
		t.Fatalf("row 1 geometry %T %v", a.geom, a.geom)
	}
	blac := orb.Point{-3.040454906944444, 53.77911025694444}
	if d := metres(a.centroid[0], a.centroid[1], blac[0], blac[1]); d > 10 {
		t.Errorf("centroid %v is %.1f m from BLAC", a.centroid, d)
	}
	if d := metres(pt.centroid[0], pt.centroid[1], blac[0], blac[1]); d > 10 {
		t.Errorf("point %v is %.1f m from BLAC", pt.centroid, d)
	}
	// 1 km grid square: grid north is 0.84 deg off true north here, so its
	// lon/lat bound is 1000*(cos+sin) = 1014.7 m wide, 0.0154 deg at
	// 65.9 km per degree of longitude.
	if w := a.bound.Max[0] - a.bound.Min[0]; math.Abs(w-0.0154) > 0.00005 {
		t.Errorf("width %g deg", w)
	}
	if mp, ok := b.geom.(orb.MultiPolygon); !ok || len(mp) != 2 || len(mp[0]) != 1 {
		t.Errorf("row 2 geometry %T", b.geom)
	}
}

func TestShapefileCodePageAndBareShp(t *testing.T) {
	dir := t.TempDir()
	shp, shx, _ := fixtureShapes()
	dbf := writeDBF([]dbfCol{{"CODE", 'C', 9}, {"NAME", 'C', 20}}, [][]string{
		{"E01000001", "Tŷ Dan Y Coed"}, {"E01000002", "x"}, {"E01000003", ""}, {"E01000004", ""}, {"E01000005", ""},
	})
	for name, data := range map[string][]byte{"a.shp": shp, "a.shx": shx, "a.dbf": dbf, "a.cpg": []byte("UTF-8\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := FileSpec{Kind: "s", Geometry: true, Columns: []Column{{Name: "code", Aliases: []string{"CODE"}}, {Name: "name", Aliases: []string{"NAME"}}}}
	// No .prj: coordinates are BNG by their range.
	rows, _ := readShapefile(t, filepath.Join(dir, "a.shp"), spec)
	if len(rows) != 4 || rows[0].text[1] != "Tŷ Dan Y Coed" || rows[0].centroid[0] > -3 || rows[0].centroid[0] < -3.1 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestShapefileErrors(t *testing.T) {
	shp, shx, dbf := fixtureShapes()
	utm := `PROJCS["WGS_1984_UTM_Zone_30N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["Meter",1]]`
	irish := strings.NewReplacer("6377563.396", "6377340.189", `"central_meridian",-2`, `"central_meridian",-8`).Replace(bngPRJ)
	tests := []struct {
		name    string
		members map[string][]byte
		errLike string
	}{
		{"UTM prj", map[string][]byte{"a.shp": shp, "a.dbf": dbf, "a.prj": []byte(utm)}, "unsupported .prj projection"},
		{"Irish grid prj", map[string][]byte{"a.shp": shp, "a.dbf": dbf, "a.prj": []byte(irish)}, "unsupported .prj projection"},
		{"two shapefiles", map[string][]byte{"a.shp": shp, "a.dbf": dbf, "b.shp": shp, "b.dbf": dbf}, "2 shapefiles"},
		{"no shp", map[string][]byte{"a.dbf": dbf}, "no .shp"},
		{"no dbf", map[string][]byte{"a.shp": shp, "a.shx": shx}, "no .dbf"},
		{"bad cpg", map[string][]byte{"a.shp": shp, "a.dbf": dbf, "a.cpg": []byte("EBCDIC")}, "code page"},
		{"not a shp", map[string][]byte{"a.shp": []byte(strings.Repeat("x", 200)), "a.dbf": dbf}, "not a shapefile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeZip(t, t.TempDir(), "x.zip", tc.members)
			rd, err := NewShapefileReader(p, "x.zip", shpTestSpec())
			if err == nil {
				rd.Release()
				t.Fatalf("no error, want %q", tc.errLike)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "x.zip" || !strings.Contains(err.Error(), tc.errLike) {
				t.Fatalf("error %v, want a ParseError like %q", err, tc.errLike)
			}
		})
	}
	// A .dbf shorter than the .shp fails mid-read with the record number.
	short := writeDBF([]dbfCol{{"CODE", 'C', 9}}, [][]string{{"E01000001"}})
	p := writeZip(t, t.TempDir(), "short.zip", map[string][]byte{"a.shp": shp, "a.dbf": short})
	rd, err := NewShapefileReader(p, "short.zip", FileSpec{Geometry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	for rd.Next() {
	}
	var pe *ParseError
	if !errors.As(rd.Err(), &pe) || pe.Line != 2 {
		t.Fatalf("Err() = %v", rd.Err())
	}
}

func TestShapefilePrjCRS(t *testing.T) {
	if k, err := prjCRS(bngPRJ); err != nil || k != crsBNG {
		t.Errorf("BNG prj: %v %v", k, err)
	}
	wgs := `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	if k, err := prjCRS(wgs); err != nil || k != crsWGS84 {
		t.Errorf("WGS84 prj: %v %v", k, err)
	}
	if k, err := prjCRS(""); err != nil || k != crsAuto {
		t.Errorf("empty prj: %v %v", k, err)
	}
}
