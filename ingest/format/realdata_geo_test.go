package format

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"
)

// geoDataDir is the shared read-only data directory, relative to this
// package; tests that need it skip when it is absent.
func geoDataDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "boundaries")); err != nil {
		tb.Skipf("real data not available: %v", err)
	}
	return dir
}

func geoLSOA11Spec() FileSpec {
	return FileSpec{
		Kind: "lsoa2011",
		Columns: []Column{
			{Name: "lsoa11cd", Aliases: []string{"LSOA11CD"}, Required: true, NotNull: true, Pattern: regexp.MustCompile(`^E01\d{6}$`)},
			{Name: "lsoa11nm", Aliases: []string{"LSOA11NM"}, NotNull: true},
		},
		Geometry:   true,
		FileColumn: "source_file",
	}
}

// readGeoAll drains a reader, returning the rows (as geoRow values) and
// failing on a whole-file error.
func readGeoAll(t testing.TB, rd *GeoReader) []geoRow {
	t.Helper()
	var rows []geoRow
	for rd.Next() {
		rows = append(rows, geoRows(t, rd.RecordBatch())...)
	}
	if err := rd.Err(); err != nil {
		t.Fatalf("read: %v", err)
	}
	return rows
}

func geoOpenGz(t testing.TB, path string) io.ReadCloser {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}
}

func TestGeoJSONRealLSOA11AllEngland(t *testing.T) {
	dir := geoDataDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "boundaries", "lsoa2011_by_lad", "*.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 326 {
		t.Fatalf("found %d LAD files, want 326", len(files))
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	total, rejects, multi := 0, 0, 0
	codes := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		func() {
			r := geoOpenGz(t, path)
			defer r.Close()
			rd, err := NewGeoJSONReader(r, name, geoLSOA11Spec(), WithAllocator(mem))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			defer rd.Release()
			rows := readGeoAll(t, rd)
			st := rd.Stats()
			if st.Rows != len(rows) || st.DataLines != st.Rows+st.Rejected {
				t.Errorf("%s: stats %+v disagree with %d rows", name, st, len(rows))
			}
			for _, rj := range rd.Rejects() {
				t.Errorf("reject: %v", rj)
			}
			rejects += st.Rejected
			total += len(rows)
			// zcat E06000009.json.gz | grep -o '"type": *"Feature"' | wc -l -> 94
			if name == "E06000009.json" && len(rows) != 94 {
				t.Errorf("Blackpool: %d features, want 94", len(rows))
			}
			for _, row := range rows {
				codes[row.text[0]] = true
				if _, ok := row.geom.(orb.MultiPolygon); ok {
					multi++
				}
				if !row.bound.Contains(row.centroid) && row.geomType() == "Polygon" {
					// Concave polygons may have a centroid outside the
					// shape, never outside its bound.
					t.Errorf("%s %s: centroid %v outside bound %v", name, row.text[0], row.centroid, row.bound)
				}
			}
		}()
	}
	// Counted with: python3 json.load over all 326 files (sum of
	// len(features)) and MultiPolygon counted the same way.
	if total != 32844 || rejects != 0 || len(codes) != 32844 {
		t.Errorf("total %d rows, %d rejects, %d distinct codes; want 32844, 0, 32844", total, rejects, len(codes))
	}
	if multi != 564 {
		t.Errorf("%d MultiPolygons, want 564", multi)
	}
}

func TestGeoJSONRealBlackpool(t *testing.T) {
	dir := geoDataDir(t)
	r := geoOpenGz(t, filepath.Join(dir, "boundaries", "lsoa2011_by_lad", "E06000009.json.gz"))
	defer r.Close()
	rd, err := NewGeoJSONReader(r, "E06000009.json", geoLSOA11Spec())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rows := readGeoAll(t, rd)
	// zcat E06000009.json.gz | grep -o '"type": *"Feature"' | wc -l  -> 94
	if len(rows) != 94 || rd.Stats().Rejected != 0 {
		t.Fatalf("%d rows, %d rejected; want 94, 0", len(rows), rd.Stats().Rejected)
	}
	if rows[0].text[0] != "E01012662" || rows[0].text[1] != "Blackpool 002A" || rows[0].file != "E06000009.json" {
		t.Errorf("first row %+v", rows[0])
	}
	if got := rd.Stats().Encoding; got != "utf-8" {
		t.Errorf("encoding %q", got)
	}
}

func TestGeoJSONRealGMLSOA21(t *testing.T) {
	dir := geoDataDir(t)
	spec := FileSpec{Kind: "lsoa21", Geometry: true, Columns: []Column{
		{Name: "lsoa21cd", Aliases: []string{"area_code"}, Required: true, NotNull: true, Pattern: regexp.MustCompile(`^E01\d{6}$`)},
		{Name: "lsoa21nm", Aliases: []string{"area_name"}},
	}}
	rows, rd := readGeoFile(t, filepath.Join(dir, "boundaries", "greater_manchester", "gm_lsoa21_generalised.geojson"), spec)
	if len(rows) != 1702 || rd.Stats().Rejected != 0 {
		t.Fatalf("%d rows, %d rejected; want 1702, 0", len(rows), rd.Stats().Rejected)
	}
	for _, row := range rows {
		if _, ok := row.geom.(orb.MultiPolygon); !ok {
			t.Fatalf("%s is %T, want MultiPolygon", row.text[0], row.geom)
		}
	}
}

func TestGeoJSONRealGMWardStringLonLat(t *testing.T) {
	dir := geoDataDir(t)
	spec := FileSpec{Kind: "ward2023", Geometry: true, Columns: []Column{
		{Name: "ward_code", Aliases: []string{"area_code"}, NotNull: true},
		{Name: "ward_name", Aliases: []string{"area_name"}},
		{Name: "lon", Type: Float, NotNull: true},
		{Name: "lat", Type: Float, NotNull: true},
		{Name: "area_m2", Type: Float, Aliases: []string{"area"}},
		{Name: "lad_code", Aliases: []string{"local_authority_area_code"}},
	}}
	rows, rd := readGeoFile(t, filepath.Join(dir, "boundaries", "greater_manchester", "gm_ward2023_generalised.geojson"), spec)
	if len(rows) != 215 || rd.Stats().Rejected != 0 {
		t.Fatalf("%d rows, %d rejected; want 215, 0", len(rows), rd.Stats().Rejected)
	}
	// First feature: "lon": "-2.20943", "lat": "53.48062" (JSON strings),
	// "area": 2925118.98 (a number).
	r0 := rows[0]
	if r0.text[0] != "E05011350" || r0.floats[2] != -2.20943 || r0.floats[3] != 53.48062 || r0.floats[4] != 2925118.98 || r0.text[5] != "E08000003" {
		t.Errorf("first ward %+v", r0)
	}
	// The published label point and our centroid agree to about 1 km.
	for _, row := range rows {
		d := orb.Point{row.floats[2], row.floats[3]}
		if geoAbs(d[0]-row.centroid[0]) > 0.02 || geoAbs(d[1]-row.centroid[1]) > 0.01 {
			t.Errorf("%s: lon/lat %v far from centroid %v", row.text[0], d, row.centroid)
		}
	}
}

func TestGeoJSONRealGMPostOffices(t *testing.T) {
	dir := geoDataDir(t)
	spec := FileSpec{Kind: "post_offices", Geometry: true, Columns: []Column{
		{Name: "id", Aliases: []string{"ID"}, NotNull: true},
		{Name: "featcode", Type: Int, Aliases: []string{"FEATCODE"}},
		{Name: "lad_code", Aliases: []string{"area_code"}},
	}}
	rows, rd := readGeoFile(t, filepath.Join(dir, "services", "greater_manchester", "gm_post_offices.geojson"), spec)
	if len(rows) != 343 || rd.Stats().Rejected != 0 {
		t.Fatalf("%d rows, %d rejected; want 343, 0", len(rows), rd.Stats().Rejected)
	}
	for _, row := range rows {
		if row.geomType() != "Polygon" {
			t.Errorf("%s is %s", row.text[0], row.geomType())
		}
		if !row.bound.Contains(row.centroid) {
			t.Errorf("%s: centroid %v outside its bound %v", row.text[0], row.centroid, row.bound)
		}
		if row.ints[1] != 15026 {
			t.Errorf("%s: featcode %d", row.text[0], row.ints[1])
		}
	}
}

func TestTopoJSONRealLAD2013(t *testing.T) {
	dir := geoDataDir(t)
	f, err := os.Open(filepath.Join(dir, "boundaries", "lad2013_england_topo.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	if !IsTopoJSON(head[:n]) {
		t.Fatal("IsTopoJSON = false")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	spec := FileSpec{Kind: "lad2013", Geometry: true, Columns: []Column{
		{Name: "lad13cd", Aliases: []string{"LAD13CD"}, Required: true, NotNull: true},
		{Name: "lad13nm", Aliases: []string{"LAD13NM"}},
		{Name: "lad13nmw", Aliases: []string{"LAD13NMW"}},
	}}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rd, err := NewTopoJSONReader(f, "lad2013_england_topo.json", spec, "lad", WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Release()
	rows := readGeoAll(t, rd)
	for _, rj := range rd.Rejects() {
		t.Errorf("reject: %v", rj)
	}
	if len(rows) != 326 {
		t.Fatalf("%d rows, want 326", len(rows))
	}
	var blackpool *geoRow
	for i, row := range rows {
		if err := ValidateGeometry(row.geom); err != nil {
			t.Errorf("%s: %v", row.text[0], err)
		}
		if row.text[2] != "" || !row.nulls[2] {
			t.Errorf("%s: LAD13NMW %q, want NULL", row.text[0], row.text[2])
		}
		if row.text[0] == "E06000009" {
			blackpool = &rows[i]
		}
	}
	if blackpool == nil {
		t.Fatal("no Blackpool")
	}
	// Blackpool's area-weighted centroid computed in Python from the 94
	// LSOA polygons of lsoa2011_by_lad/E06000009.json.gz is
	// (-3.02923, 53.81786); the topology is quantized to about 55 m.
	c := blackpool.centroid
	t.Logf("Blackpool (TopoJSON) centroid %.5f, %.5f; bound %v", c[0], c[1], blackpool.bound)
	if c[0] < -3.06 || c[0] > -2.98 || c[1] < 53.77 || c[1] > 53.87 {
		t.Errorf("Blackpool centroid %v outside the plausible box", c)
	}
	if geoAbs(c[0]+3.02923) > 0.005 || geoAbs(c[1]-53.81786) > 0.005 {
		t.Errorf("Blackpool centroid %v, want about (-3.02923, 53.81786)", c)
	}
	if blackpool.text[1] != "Blackpool" {
		t.Errorf("name %q", blackpool.text[1])
	}
}

func readGeoFile(t *testing.T, path string, spec FileSpec) ([]geoRow, *GeoReader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rd, err := NewGeoJSONReader(f, filepath.Base(path), spec, WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rd.Release()
		mem.AssertSize(t, 0)
	})
	rows := readGeoAll(t, rd)
	for i, rj := range rd.Rejects() {
		if i < 10 {
			t.Errorf("reject: %v", rj)
		}
	}
	return rows, rd
}

func BenchmarkGeoJSONAllLSOA11(b *testing.B) {
	dir := geoDataDir(b)
	files, err := filepath.Glob(filepath.Join(dir, "boundaries", "lsoa2011_by_lad", "*.json.gz"))
	if err != nil || len(files) == 0 {
		b.Skip("no LSOA files")
	}
	sort.Strings(files)
	// Decompress once so that the benchmark measures parsing, not gzip.
	var data [][]byte
	var size int64
	for _, p := range files {
		r := geoOpenGz(b, p)
		d, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += int64(len(d))
	}
	b.SetBytes(size)
	b.ResetTimer()
	features := 0
	for b.Loop() {
		for i, d := range data {
			rd, err := NewGeoJSONReader(bytes.NewReader(d), filepath.Base(files[i]), geoLSOA11Spec())
			if err != nil {
				b.Fatal(err)
			}
			for rd.Next() {
				features += int(rd.RecordBatch().NumRows())
			}
			if rd.Err() != nil {
				b.Fatal(rd.Err())
			}
			rd.Release()
		}
	}
	b.ReportMetric(float64(features)/b.Elapsed().Seconds(), "features/s")
}

var _ array.RecordReader = (*GeoReader)(nil)

// TestShapefileRealSouthWest reads the zipped South West LSOA shapefile
// (British National Grid, generic Transverse_Mercator .prj) and checks every
// centroid against the same LSOA in the England GeoJSON (lon/lat, converted
// upstream), an independent route to the same boundaries.
func TestShapefileRealSouthWest(t *testing.T) {
	dir := geoDataDir(t)
	zipPath := filepath.Join(dir, "boundaries", "LSOA_2011_sw5forces_BGC_V2.zip")
	spec := FileSpec{Kind: "lsoa2011_sw", Geometry: true, Columns: []Column{
		{Name: "lsoa11cd", Aliases: []string{"LSOA11CD"}, Required: true, NotNull: true, Pattern: regexp.MustCompile(`^E01\d{6}$`)},
		{Name: "lsoa11nm", Aliases: []string{"LSOA11NM"}, NotNull: true},
		{Name: "lsoa11nmw", Aliases: []string{"LSOA11NMW"}},
		{Name: "area", Type: Float, Aliases: []string{"Area"}},
	}}
	rows, rd := readShapefile(t, zipPath, spec)
	if len(rows) != 3281 || rd.Stats().Rejected != 0 {
		t.Fatalf("%d rows, %d rejected (%v); want 3281, 0", len(rows), rd.Stats().Rejected, rd.Rejects())
	}
	// First DBF record, read with xxd: E01014370, "Bath and North East Somerset 007A".
	if rows[0].text[0] != "E01014370" || rows[0].text[1] != "Bath and North East Somerset 007A" {
		t.Errorf("first row %q %q", rows[0].text[0], rows[0].text[1])
	}

	// Centroids of the same LSOAs from the England GeoJSON.
	want := map[string]orb.Point{}
	files, _ := filepath.Glob(filepath.Join(dir, "boundaries", "lsoa2011_by_lad", "*.json.gz"))
	for _, p := range files {
		func() {
			r := geoOpenGz(t, p)
			defer r.Close()
			rd, err := NewGeoJSONReader(r, filepath.Base(p), geoLSOA11Spec())
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Release()
			for _, row := range readGeoAll(t, rd) {
				want[row.text[0]] = row.centroid
			}
		}()
	}
	var dists []float64
	for _, row := range rows {
		c, ok := want[row.text[0]]
		if !ok {
			t.Errorf("%s not in the England GeoJSON", row.text[0])
			continue
		}
		d := metres(row.centroid[0], row.centroid[1], c[0], c[1])
		dists = append(dists, d)
		if d > 50 {
			t.Errorf("%s: shapefile centroid %v is %.0f m from the GeoJSON's %v", row.text[0], row.centroid, d, c)
		}
	}
	sort.Float64s(dists)
	if len(dists) > 0 {
		t.Logf("shapefile vs GeoJSON centroids over %d LSOAs: median %.3f m, max %.3f m", len(dists), dists[len(dists)/2], dists[len(dists)-1])
	}
}
