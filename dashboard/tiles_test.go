package dashboard_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"commonground/dashboard"
	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// exampleton is a point inside the synthetic demo authority.
var exampleton = orb.Point{-3.95, 54.05}

// getTile fetches a tile as a map client does (asking for gzip, so the
// transport hands back the body as sent).
func getTile(t testing.TB, srv *httptest.Server, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func tilePath(layer string, tl maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y)
}

// decodeTile checks the headers of a tile response and decodes it.
func decodeTile(t *testing.T, res *http.Response, body []byte) mvt.Layers {
	t.Helper()
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	for k, want := range map[string]string{"Content-Type": "application/vnd.mapbox-vector-tile", "Content-Encoding": "gzip",
		"Cache-Control": "public, max-age=3600"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if res.Header.Get("ETag") == "" {
		t.Error("no ETag")
	}
	layers, err := mvt.UnmarshalGzipped(body)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	return layers
}

func TestTileCoversExampleton(t *testing.T) {
	srv := newServer(t)
	db := demoDB(t)
	for _, tc := range []struct {
		layer  string
		z      maptile.Zoom
		prefix string
	}{{"lsoa11", 12, "E01099"}, {"lsoa21", 11, "E01099"}, {"ward", 10, "E05099"}, {"lad", 6, "E06099999"}, {"msoa21", 9, "E02099"}} {
		t.Run(tc.layer, func(t *testing.T) {
			tl := maptile.At(exampleton, tc.z)
			res, body := getTile(t, srv, tilePath(tc.layer, tl))
			layers := decodeTile(t, res, body)
			if len(layers) != 1 || layers[0].Name != tc.layer || layers[0].Version != 2 || layers[0].Extent != 4096 {
				t.Fatalf("layers: %+v", layers)
			}
			// Exactly the areas whose bounds meet the tile (with its
			// buffer), none twice.
			b := tl.Bound(1.0 / 16)
			rows, err := db.SQL().Query(`SELECT code FROM areas WHERE level = ? AND maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ? ORDER BY code`,
				tc.layer, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for rows.Next() {
				var c string
				rows.Scan(&c)
				want = append(want, c)
			}
			rows.Close()
			var got []string
			for _, f := range layers[0].Features {
				code, _ := f.Properties["code"].(string)
				name, _ := f.Properties["name"].(string)
				if !strings.HasPrefix(code, tc.prefix) || name == "" || f.ID == nil {
					t.Errorf("feature %v %v id %v", code, name, f.ID)
				}
				if _, ok := f.Geometry.(orb.Polygon); !ok {
					if _, ok := f.Geometry.(orb.MultiPolygon); !ok {
						t.Errorf("%s: geometry %T", code, f.Geometry)
					}
				}
				got = append(got, code)
			}
			sort.Strings(got)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("codes %v, want %v", got, want)
			}
		})
	}
	// Byte-stable: the same tile twice (second from the cache, third from a
	// new server) is the same bytes.
	tl := maptile.At(exampleton, 12)
	_, a := getTile(t, srv, tilePath("lsoa11", tl))
	_, b := getTile(t, newServer(t), tilePath("lsoa11", tl))
	if !bytes.Equal(a, b) {
		t.Error("the same tile differs between servers")
	}
}

func TestTileServices(t *testing.T) {
	srv := newServer(t)
	var n int
	if err := demoDB(t).SQL().QueryRow(`SELECT count(*) FROM services WHERE status <> 'closed'`).Scan(&n); err != nil || n == 0 {
		t.Skipf("no services in the demo (%v)", err)
	}
	res, body := getTile(t, srv, tilePath("services", maptile.At(exampleton, 10)))
	layers := decodeTile(t, res, body)
	if len(layers) != 1 || layers[0].Name != "services" || len(layers[0].Features) != n {
		t.Fatalf("services: %d layers, %d features, want %d", len(layers), len(layers[0].Features), n)
	}
	for _, f := range layers[0].Features {
		if _, ok := f.Geometry.(orb.Point); !ok || f.Properties["category"] == "" || f.Properties["code"] == "" {
			t.Errorf("service feature %v %T", f.Properties, f.Geometry)
		}
	}
	// Below the layer's zoom range: empty.
	if res, _ := getTile(t, srv, tilePath("services", maptile.At(exampleton, 8))); res.StatusCode != http.StatusNoContent {
		t.Errorf("services at z8: %d, want 204", res.StatusCode)
	}
}

func TestTileRequestsChecked(t *testing.T) {
	srv := newServer(t)
	for path, want := range map[string]int{
		"/tiles/lsoa11/17/0/0.mvt":          400,
		"/tiles/lsoa11/-1/0/0.mvt":          400,
		"/tiles/lsoa11/3/8/0.mvt":           400,
		"/tiles/lsoa11/3/0/8.mvt":           400,
		"/tiles/lsoa11/3/-1/0.mvt":          400,
		"/tiles/lsoa11/3/0/0.png":           400,
		"/tiles/lsoa11/3/0/0":               400,
		"/tiles/lsoa11/a/0/0.mvt":           400,
		"/tiles/lsoa11/3/0/1e2.mvt":         400,
		"/tiles/lsoa11/99999999999/0/0.mvt": 400,
		"/tiles/areas/3/0/0.mvt":            404,
		"/tiles/postcodes/12/0/0.mvt":       404,
		"/tiles/lsoa11/0/0/0.mvt":           204, // below the layer's zoom range
		"/tiles/lsoa11/16/0/0.mvt":          204, // nothing there
		"/tiles/lad/0/0/0.mvt":              200,
		"/tiles/custom/5/15/10.mvt":         204, // no custom areas in the demo
	} {
		res, body := getTile(t, srv, path)
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d (%s)", path, res.StatusCode, want, body)
		}
		if want == 204 && len(body) != 0 {
			t.Errorf("%s: 204 with a body", path)
		}
	}
}

func TestTileETag(t *testing.T) {
	srv := newServer(t)
	p := tilePath("lsoa21", maptile.At(exampleton, 12))
	res, body := getTile(t, srv, p)
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || !regexp.MustCompile(`^"t\d+-lsoa21-12-\d+-\d+"$`).MatchString(etag) || len(body) == 0 {
		t.Fatalf("%d %q", res.StatusCode, etag)
	}
	for _, inm := range []string{etag, "W/" + etag, `"x", ` + etag, "*"} {
		res, body := getTile(t, srv, p, "If-None-Match", inm)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 || res.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d", inm, res.StatusCode)
		}
	}
	if res, _ := getTile(t, srv, p, "If-None-Match", `"t0-lsoa21-12-0-0"`); res.StatusCode != 200 {
		t.Errorf("stale ETag: %d", res.StatusCode)
	}
	// A client that does not take gzip gets the plain tile.
	req, _ := http.NewRequest("GET", srv.URL+p, nil)
	req.Header.Set("Accept-Encoding", "identity")
	r2, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.Header.Get("Content-Encoding") != "" {
		t.Errorf("identity: Content-Encoding %q", r2.Header.Get("Content-Encoding"))
	}
	if layers, err := mvt.Unmarshal(raw); err != nil || len(layers) != 1 {
		t.Errorf("identity tile: %v", err)
	}
}

func TestMapPage(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/map")
	if res.StatusCode != 200 {
		t.Fatalf("/map: %d", res.StatusCode)
	}
	checkPagePolicy(t, "/map", res, body)
	for _, re := range []string{
		`<script src="/static/[0-9a-f]{12}/vendor/maplibre-gl\.js" defer></script>`,
		`<link rel="stylesheet" href="/static/[0-9a-f]{12}/vendor/maplibre-gl\.css">`,
		`<script src="/static/[0-9a-f]{12}/map\.js" defer></script>`,
		`<a href="#after-map">Skip the map</a>`,
		`id="after-map"`,
		`data-level="lsoa21"`, `data-indicator="imd2025_decile"`,
		`data-levels="\[\{&#34;id&#34;:&#34;lsoa21&#34;`,
		`href="/map\?[^"]*view=table`,
		`<a href="/map">Map</a>`,
		`name="layers" value="gp_practice"`,
	} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("/map lacks %s", re)
		}
	}
	if strings.Contains(body, "https://") && strings.Contains(body, "unpkg") {
		t.Error("/map loads from a CDN")
	}
	// The vendored script is served, hashed and immutable.
	m := regexp.MustCompile(`src="(/static/[0-9a-f]+/vendor/maplibre-gl\.js)"`).FindStringSubmatch(body)
	res, js := get(t, srv, m[1])
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") || !strings.Contains(js, "MapLibre GL JS") {
		t.Errorf("vendor script: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// State in the URL comes back in the page: level, indicator, view, layers.
	_, body = get(t, srv, "/map?level=ward&indicator=none&lat=54.05&lon=-3.95&zoom=12.5&layers=school,nonsense")
	for _, want := range []string{`data-level="ward"`, `data-indicator=""`, `data-center="[-3.95,54.05,12.5]"`, `data-layers="school"`} {
		if !strings.Contains(body, want) {
			t.Errorf("state: lacks %s", want)
		}
	}
	// From an area page: the link has the bbox, and the map outlines it.
	_, body = get(t, srv, "/areas/E06099999")
	// (The profile's neighbourhood map links with its indicator and
	// services; without one, the outline links with the bbox only.)
	m = regexp.MustCompile(`href="(/map\?area=E06099999&amp;bbox=[^"]+)">(?:See on the map|Open this in the map explorer)</a>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("area page: no link to the map explorer")
	}
	_, body = get(t, srv, strings.ReplaceAll(m[1], "&amp;", "&"))
	for _, want := range []string{`data-area="E06099999"`, `data-area-level="lad"`, `data-bbox="[-4.03`} {
		if !strings.Contains(body, want) {
			t.Errorf("map from area: lacks %s", want)
		}
	}
	// Garbage is ignored, not echoed or fatal.
	res, body = get(t, srv, "/map?level=%3Cscript%3E&lat=abc&zoom=99&bbox=1,2,3&selected=%22%3E%3Cscript%3E")
	if res.StatusCode != 200 || strings.Contains(body, "<script>") {
		t.Errorf("bad state: %d", res.StatusCode)
	}
}

func TestMapTableAndValues(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/map?level=lsoa11&indicator=imd2019_decile&view=table")
	checkPagePolicy(t, "table", res, body)
	if res.StatusCode != 200 || strings.Count(body, `<a href="/areas/E01099`) != 60 || !strings.Contains(body, "IMD 2019 decile") {
		t.Errorf("table view: %d, %d rows", res.StatusCode, strings.Count(body, `<a href="/areas/E01099`))
	}
	// Restricted to a view's bbox.
	_, body = get(t, srv, "/map?level=lsoa11&indicator=imd2019_decile&view=table&bbox=-3.97,54.03,-3.90,54.07")
	if n := strings.Count(body, `<a href="/areas/E01099`); n == 0 || n >= 60 {
		t.Errorf("table in a bbox: %d rows", n)
	}

	res, body = get(t, srv, "/api/map/values?level=lsoa11&indicator=imd2019_decile")
	var vals map[string]float64
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &vals) != nil || len(vals) != 60 {
		t.Fatalf("values: %d %d %.200s", res.StatusCode, len(vals), body)
	}
	var want float64
	demoDB(t).SQL().QueryRow(`SELECT imd_decile FROM imd WHERE edition = 2019 AND lsoa_code = 'E01099001'`).Scan(&want)
	if vals["E01099001"] != want || want < 1 {
		t.Errorf("E01099001 = %v, want %v", vals["E01099001"], want)
	}
	res, body = get(t, srv, "/api/map/values?level=lsoa11&indicator=imd2019_decile&format=csv")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 61 || strings.Join(recs[0], ",") != "code,name,level,imd2019_decile" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("csv: %v %d %v", err, len(recs), recs[:1])
	}
	// Ward shares are percentages.
	_, body = get(t, srv, "/api/map/values?level=ward&indicator=imd2019_decile1_share")
	vals = nil
	if json.Unmarshal([]byte(body), &vals) != nil || len(vals) != 12 {
		t.Errorf("ward shares: %s", body)
	}
	for c, v := range vals {
		if v < 0 || v > 100 {
			t.Errorf("%s: %v", c, v)
		}
	}
	for path, code := range map[string]int{
		"/api/map/values?level=ward&indicator=imd2019_decile":              400,
		"/api/map/values?level=lsoa11&indicator=nope":                      404,
		"/api/map/values?level=lsoa11&indicator=imd2019_decile&format=xml": 400,
	} {
		if res, _ := get(t, srv, path); res.StatusCode != code {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, code)
		}
	}
}

// The committed vendor files are exactly what package-lock.json installs.
func TestVendorMatchesNodeModules(t *testing.T) {
	lock, err := os.ReadFile("../package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var pl struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(lock, &pl); err != nil {
		t.Fatal(err)
	}
	version := pl.Packages["node_modules/maplibre-gl"].Version
	js, err := os.ReadFile("static/vendor/maplibre-gl.js")
	if err != nil {
		t.Fatal(err)
	}
	if version == "" || !bytes.Contains(js[:300], []byte("/v"+version+"/")) {
		t.Errorf("static/vendor/maplibre-gl.js is not version %q of package-lock.json: run make vendor", version)
	}
	dist := "../node_modules/maplibre-gl/dist"
	if _, err := os.Stat(dist); err != nil {
		t.Skip("no node_modules (run npm ci to compare byte for byte)")
	}
	for vendored, orig := range map[string]string{"maplibre-gl.js": "maplibre-gl.js", "maplibre-gl.css": "maplibre-gl.css", "maplibre-gl-LICENSE.txt": "LICENSE.txt"} {
		a, err1 := os.ReadFile(filepath.Join("static/vendor", vendored))
		b, err2 := os.ReadFile(filepath.Join(dist, orig))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("static/vendor/%s differs from node_modules (%v %v): run make vendor", vendored, err1, err2)
		}
	}
}

// ---- Real data ----------------------------------------------------------------

var (
	realOnce sync.Once
	realPath string
	realErr  error
	realLoad time.Duration
)

// realData is ../shared/data beside the checkout, or $COMMONGROUND_SHARED_DATA.
func realData(tb testing.TB) string {
	tb.Helper()
	d := os.Getenv("COMMONGROUND_SHARED_DATA")
	if d == "" {
		d, _ = filepath.Abs("../../shared/data")
	}
	if _, err := os.Stat(filepath.Join(d, "boundaries", "lsoa2011_by_lad")); err != nil {
		if os.Getenv("COMMONGROUND_SKIP_REAL_DATA") != "" {
			tb.Skip("real data not available and COMMONGROUND_SKIP_REAL_DATA is set")
		}
		tb.Fatalf("real data not found at %s (set COMMONGROUND_SHARED_DATA)", d)
	}
	return d
}

// realDB loads the LSOA 2011 boundaries of London (E09*), Manchester and
// Trafford, their 2013 wards, and every local authority in England through
// the ingest pipeline, once per test binary.
func realDB(tb testing.TB) *warehouse.DB {
	tb.Helper()
	data := realData(tb)
	realOnce.Do(func() {
		start := time.Now()
		dir, err := os.MkdirTemp("", "tiles-real")
		if err != nil {
			realErr = err
			return
		}
		realPath = filepath.Join(dir, "real.duckdb")
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		ctx := tb.Context()
		db, err := warehouse.Open(ctx, realPath, warehouse.Options{Logger: log})
		if err != nil {
			realErr = err
			return
		}
		defer db.Close()
		var lsoas, wards []string
		for _, dirName := range []string{"lsoa2011_by_lad", "wards2013_by_lad"} {
			for _, pat := range []string{"E09*.json.gz", "E08000003.json.gz", "E08000009.json.gz"} {
				m, _ := filepath.Glob(filepath.Join(data, "boundaries", dirName, pat))
				if dirName == "lsoa2011_by_lad" {
					lsoas = append(lsoas, m...)
				} else {
					wards = append(wards, m...)
				}
			}
		}
		r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache")}, Logger: log}
		for _, job := range []struct {
			id    string
			files []string
		}{
			{"boundaries-lsoa11", lsoas},
			{"boundaries-ward", wards},
			{"boundaries-lad", []string{filepath.Join(data, "boundaries", "lad2013_england_topo.json")}},
		} {
			ds, err := catalog.ByID(job.id)
			if err != nil {
				realErr = err
				return
			}
			if _, err := r.Run(ctx, ds, job.files); err != nil {
				realErr = err
				return
			}
		}
		realLoad = time.Since(start)
	})
	if realErr != nil {
		tb.Fatal(realErr)
	}
	db, err := warehouse.Open(tb.Context(), realPath, warehouse.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func newRealServer(tb testing.TB) (*dashboard.Server, *httptest.Server) {
	tb.Helper()
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, realDB(tb), nil)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return h, srv
}

// tilesIn lists the tiles covering a lon/lat box at zoom z.
func tilesIn(b orb.Bound, z maptile.Zoom) []maptile.Tile {
	lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	var out []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

var (
	greaterLondon = orb.Bound{Min: orb.Point{-0.52, 51.28}, Max: orb.Point{0.34, 51.70}}
	centralLondon = orb.Bound{Min: orb.Point{-0.22, 51.46}, Max: orb.Point{0.02, 51.56}}
	england       = orb.Bound{Min: orb.Point{-6.4, 49.8}, Max: orb.Point{1.8, 55.9}}
)

// No tile is over 500 KB on real boundaries, at any zoom a layer is
// served at, over the densest part of England.
func TestRealTilesUnder500KB(t *testing.T) {
	if testing.Short() {
		t.Skip("real-data tile scan (about 15 s) skipped in -short mode")
	}
	start := time.Now()
	_, srv := newRealServer(t)
	t.Logf("loaded London, Manchester and Trafford LSOAs and wards, and England's local authorities in %v", realLoad.Round(time.Millisecond))
	type scan struct {
		layer  string
		zooms  []maptile.Zoom
		region orb.Bound
	}
	scans := []scan{
		{"lsoa11", []maptile.Zoom{9, 10, 11, 12}, greaterLondon},
		{"lsoa11", []maptile.Zoom{13, 14}, centralLondon},
		{"ward", []maptile.Zoom{7, 8, 9, 10}, greaterLondon},
		{"lad", []maptile.Zoom{0, 1, 2, 3, 4, 5, 6, 7, 8}, england},
	}
	for _, sc := range scans {
		for _, z := range sc.zooms {
			var maxSize, n, feats int
			var maxTile maptile.Tile
			var slowest time.Duration
			for _, tl := range tilesIn(sc.region, z) {
				t0 := time.Now()
				res, body := getTile(t, srv, tilePath(sc.layer, tl))
				d := time.Since(t0)
				if res.StatusCode == 204 {
					continue
				}
				if res.StatusCode != 200 {
					t.Fatalf("%s: %d %s", tilePath(sc.layer, tl), res.StatusCode, body)
				}
				if len(body) > 500<<10 {
					t.Errorf("%s is %d KB", tilePath(sc.layer, tl), len(body)>>10)
				}
				if len(body) > maxSize {
					maxSize, maxTile = len(body), tl
					layers, err := mvt.UnmarshalGzipped(body)
					if err != nil || len(layers) != 1 {
						t.Fatalf("%s: %v", tilePath(sc.layer, tl), err)
					}
					feats = len(layers[0].Features)
				}
				slowest = max(slowest, d)
				n++
			}
			t.Logf("%-7s z%-2d %3d tiles, largest %s %4d KB (%d features), slowest %v", sc.layer, z, n,
				tilePath(sc.layer, maxTile), maxSize>>10, feats, slowest.Round(time.Millisecond))
		}
	}
	t.Logf("scan took %v", time.Since(start).Round(time.Millisecond))
}

// A tile over the size limit is simplified harder, not sent as it is.
func TestRealTileOverLimitIsSimplified(t *testing.T) {
	if testing.Short() {
		t.Skip("real data")
	}
	h, srv := newRealServer(t)
	p := tilePath("lsoa11", maptile.At(orb.Point{-0.1, 51.51}, 10))
	res, full := getTile(t, srv, p)
	before := decodeTile(t, res, full)
	limit := len(full) / 2
	dashboard.SetMaxTileBytes(h, limit)
	res, small := getTile(t, srv, p)
	after := decodeTile(t, res, small)
	if len(small) > limit || len(after[0].Features) == 0 {
		t.Fatalf("limit %d: got %d bytes, %d features", limit, len(small), len(after[0].Features))
	}
	t.Logf("%s: %d KB, %d features; limited to %d KB: %d KB, %d features", p, len(full)>>10, len(before[0].Features),
		limit>>10, len(small)>>10, len(after[0].Features))
	// A limit nothing can meet is a server error, not an oversized tile.
	dashboard.SetMaxTileBytes(h, 100)
	if res, _ := getTile(t, srv, p); res.StatusCode != http.StatusInternalServerError {
		t.Errorf("impossible limit: %d", res.StatusCode)
	}
}

// ---- Benchmarks -----------------------------------------------------------------------

// londonTiles are the z11–z14 tiles over central London.
func londonTiles() []maptile.Tile {
	var out []maptile.Tile
	for z := maptile.Zoom(11); z <= 14; z++ {
		out = append(out, tilesIn(centralLondon, z)...)
	}
	return out
}

func percentiles(ds []time.Duration) (p50, p95, maxD float64) {
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return ms(ds[len(ds)/2]), ms(ds[int(math.Ceil(float64(len(ds))*0.95))-1]), ms(ds[len(ds)-1])
}

// BenchmarkTileWarm: the layer index is built, the tile cache is empty, so
// every request builds its tile (z11–z14 over central London, real LSOAs),
// end to end over HTTP.
func BenchmarkTileWarm(b *testing.B) {
	h, srv := newRealServer(b)
	tiles := londonTiles()
	getTile(b, srv, tilePath("lsoa11", tiles[0])) // build the index
	var ds []time.Duration
	var bytesOut int
	for b.Loop() {
		dashboard.ResetTileCache(h)
		for _, tl := range tiles {
			t0 := time.Now()
			_, body := getTile(b, srv, tilePath("lsoa11", tl))
			ds = append(ds, time.Since(t0))
			bytesOut += len(body)
		}
	}
	p50, p95, mx := percentiles(ds)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
	b.ReportMetric(mx, "max-ms")
	b.ReportMetric(float64(bytesOut)/float64(len(ds))/1024, "KB/tile")
	b.ReportMetric(float64(len(tiles)), "tiles/op")
}

// BenchmarkTileCached: the same tiles from the in-memory cache.
func BenchmarkTileCached(b *testing.B) {
	_, srv := newRealServer(b)
	tiles := londonTiles()
	for _, tl := range tiles {
		getTile(b, srv, tilePath("lsoa11", tl))
	}
	var ds []time.Duration
	for b.Loop() {
		for _, tl := range tiles {
			t0 := time.Now()
			getTile(b, srv, tilePath("lsoa11", tl))
			ds = append(ds, time.Since(t0))
		}
	}
	p50, p95, mx := percentiles(ds)
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
	b.ReportMetric(mx, "max-ms")
}

// BenchmarkTileColdZ12: a new server's first tile, z12 in central London:
// reading and indexing the layer, then building the tile.
func BenchmarkTileColdZ12(b *testing.B) {
	realDB(b)
	tl := maptile.At(orb.Point{-0.1, 51.51}, 12)
	for b.Loop() {
		_, srv := newRealServer(b)
		res, body := getTile(b, srv, tilePath("lsoa11", tl))
		if res.StatusCode != 200 || len(body) == 0 {
			b.Fatalf("%d", res.StatusCode)
		}
		srv.Close()
	}
}

// A configured basemap is passed to the page and let through its CSP; by
// default nothing leaves the server.
func TestMapBasemapHook(t *testing.T) {
	res, body := get(t, newServer(t), "/map")
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "https:") || !strings.Contains(body, `data-basemap=""`) {
		t.Errorf("default: CSP %q", csp)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BasemapURL: "https://tiles.example.org/styles/light.json"}, demoDB(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, body = get(t, srv, "/map")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://tiles.example.org;") || !strings.Contains(csp, "script-src 'self';") ||
		!strings.Contains(body, `data-basemap="https://tiles.example.org/styles/light.json"`) {
		t.Errorf("basemap: CSP %q", csp)
	}
}

// Concurrent first requests share one index build and one tile build.
func TestTilesConcurrent(t *testing.T) {
	srv := newServer(t)
	base := maptile.At(exampleton, 12)
	var wg sync.WaitGroup
	bodies := make([][]byte, 24)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tl := base
			if i%2 == 1 {
				tl = maptile.New(base.X+uint32(i%3), base.Y, base.Z)
			}
			res, b := getTile(t, srv, tilePath("lsoa21", tl))
			if res.StatusCode != 200 && res.StatusCode != 204 {
				t.Errorf("%d: %d", i, res.StatusCode)
			}
			bodies[i] = b
		}()
	}
	wg.Wait()
	for i := 2; i < len(bodies); i += 2 {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Errorf("request %d got a different tile", i)
		}
	}
}
