package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"commonground/dashboard"
	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/ingest/demo"
	"commonground/ingest/source"
	"commonground/queries"
	"commonground/warehouse"
)

var (
	once    sync.Once
	dbPath  string
	loadErr error
)

// demoDB builds the synthetic demo warehouse once per test binary.
func demoDB(t *testing.T) *warehouse.DB {
	t.Helper()
	once.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			loadErr = err
			return
		}
		dbPath = filepath.Join(dir, "demo.duckdb")
		ctx := t.Context()
		files, err := demo.Generate(ctx, filepath.Join(dir, "files"), 1)
		if err != nil {
			loadErr = err
			return
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		db, err := warehouse.Open(ctx, dbPath, warehouse.Options{Logger: log})
		if err != nil {
			loadErr = err
			return
		}
		defer db.Close()
		var infos []warehouse.DatasetInfo
		for _, d := range catalog.All() {
			infos = append(infos, warehouse.DatasetInfo{ID: d.ID, Title: d.Title, Publisher: d.Publisher, Licence: d.Licence, Attribution: d.Attribution, Table: d.Table})
		}
		if loadErr = db.SyncDatasets(ctx, infos); loadErr != nil {
			return
		}
		r := &ingest.Runner{DB: db, Fetcher: &source.Fetcher{CacheDir: filepath.Join(dir, "cache")}, Logger: log, Synthetic: true}
		for _, d := range catalog.All() {
			if fs, ok := files[d.ID]; ok {
				if _, err := r.Run(ctx, d, fs); err != nil {
					loadErr = err
					return
				}
			}
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	db, err := warehouse.Open(t.Context(), dbPath, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	cat, err := queries.Default()
	if err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, demoDB(t), cat)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPages(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{"Find your area", "Exampleton (synthetic)", "Synthetic"}},
		{"/areas/E06099999", 200, []string{"<h1 class=\"heading-xl\">Exampleton (synthetic)</h1>", "Index of Multiple Deprivation 2019", "<svg", "made-up demo data", "Areas within",
			"Key facts", "All indicators", "England: no data"}},
		{"/areas/E05099001", 200, []string{"Key facts", "England:"}},
		{"/areas/E01099001", 200, []string{"Neighbourhood", "Local authority"}},
		{"/areas/E99999999", 404, []string{"could not find an area", "E99999999"}},
		{"/sources", 200, []string{"English Indices of Deprivation 2019", "Open Government Licence", "Synthetic"}},
		{"/sources/imd2019/rejects", 200, []string{"Rejected rows"}},
		{"/sources/nope/rejects", 404, []string{"no dataset"}},
		{"/search?q=Exampleton", 200, []string{"Exampleton"}},
	}
	for _, tt := range tests {
		res, body := get(t, srv, tt.path)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, res.StatusCode, tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q", tt.path, w)
			}
		}
		// The demo authority is never compared with itself as "England".
		if strings.Contains(body, "the same as the England average") {
			t.Errorf("%s: compares the demo area with itself as England", tt.path)
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			checkPagePolicy(t, tt.path, res, body)
		}
	}
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)

// No inline scripts or styles (the CSP forbids them), a CSP header, and a
// lang attribute and a single h1 for accessibility.
func checkPagePolicy(t *testing.T, path string, res *http.Response, body string) {
	t.Helper()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("%s: CSP %q", path, csp)
	}
	if inlineScript.MatchString(body) || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Errorf("%s: inline script or style", path)
	}
	if !strings.Contains(body, `<html lang="en-GB">`) || strings.Count(body, "<h1") != 1 {
		t.Errorf("%s: needs lang and exactly one h1", path)
	}
}

func TestSearchRedirectsAndEscapes(t *testing.T) {
	srv := newServer(t)
	res, _ := get(t, srv, "/search?q=E06099999")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/areas/E06099999" {
		t.Errorf("code search: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := get(t, srv, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)") {
		t.Error("search query is not escaped")
	}
	// A postcode goes straight to its neighbourhood.
	var pc, lsoa string
	db := demoDB(t)
	if err := db.SQL().QueryRow(`SELECT postcode, lsoa21_code FROM postcodes ORDER BY postcode LIMIT 1`).Scan(&pc, &lsoa); err != nil {
		t.Fatal(err)
	}
	res, _ = get(t, srv, "/search?q="+strings.ReplaceAll(pc, " ", "+"))
	if res.Header.Get("Location") != "/areas/"+lsoa {
		t.Errorf("postcode %s: went to %q, want /areas/%s", pc, res.Header.Get("Location"), lsoa)
	}
}

func TestAPI(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/api/areas/E06099999?geometry=true")
	var a map[string]any
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &a) != nil {
		t.Fatalf("api area: %d %s", res.StatusCode, body)
	}
	if a["name"] != "Exampleton (synthetic)" || a["synthetic"] != true || len(a["children"].([]any)) != 12 || a["geometry"] == nil {
		t.Errorf("api area: %v", a)
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("API GET should allow CORS")
	}
	res, body = get(t, srv, "/api/areas/NOPE")
	if res.StatusCode != 404 || !strings.Contains(body, `"error"`) || !strings.Contains(res.Header.Get("Content-Type"), "json") {
		t.Errorf("api 404: %d %s", res.StatusCode, body)
	}
	_, body = get(t, srv, "/api/search?q=Exampleton&limit=3")
	var s struct{ Results []map[string]string }
	if json.Unmarshal([]byte(body), &s) != nil || len(s.Results) == 0 || len(s.Results) > 3 {
		t.Errorf("api search: %s", body)
	}
	// A ward says which authority it is in.
	_, body = get(t, srv, "/api/search?q=E05099001")
	if !strings.Contains(body, `"kind":"Electoral ward in Exampleton (synthetic)"`) {
		t.Errorf("a ward's search result does not name its authority: %s", body)
	}
}

func TestStaticFilesAreHashedAndCached(t *testing.T) {
	srv := newServer(t)
	_, body := get(t, srv, "/")
	m := regexp.MustCompile(`href="(/static/[0-9a-f]+/app\.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no hashed stylesheet link")
	}
	res, _ := get(t, srv, m[1])
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("static: %d %v", res.StatusCode, res.Header)
	}
	req, _ := http.NewRequest("GET", srv.URL+m[1], nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	r2, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional static: %d", r2.StatusCode)
	}
}

func TestCustomAreaUpload(t *testing.T) {
	var gotName, gotBody string
	add := func(_ context.Context, name string, r io.Reader, file string) (string, error) {
		b, _ := io.ReadAll(r)
		if strings.Contains(string(b), "bad") {
			return "", fmt.Errorf("%w: the area is empty", dashboard.ErrBadUpload)
		}
		gotName, gotBody = name, string(b)
		return "XABC123", nil
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AddCustomArea: add}, demoDB(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(name, content string) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("name", name)
		fw, _ := mw.CreateFormFile("file", "area.geojson")
		io.WriteString(fw, content)
		mw.Close()
		c := srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := c.Post(srv.URL+"/areas", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, _ := post("Old Trafford Big Local", `{"type":"Polygon"}`)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/areas/XABC123" || gotName != "Old Trafford Big Local" || gotBody != `{"type":"Polygon"}` {
		t.Errorf("upload: %d %s name %q", res.StatusCode, res.Header.Get("Location"), gotName)
	}
	res, body := post("X", "bad")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "the area is empty") || !strings.Contains(body, "There is a problem") {
		t.Errorf("bad upload: %d", res.StatusCode)
	}
	res, body = post("", "{}")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Give the area a name") {
		t.Errorf("no name: %d", res.StatusCode)
	}
	res, body = post("Big", strings.Repeat("x", dashboard.MaxUploadBytes+1))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "too large") {
		t.Errorf("oversized: %d %.200s", res.StatusCode, body)
	}
	r2, body := get(t, srv, "/areas/new")
	if r2.StatusCode != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Errorf("form: %d", r2.StatusCode)
	}
	checkPagePolicy(t, "/areas/new", r2, body)
}

func TestBriefingPack(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/areas/E06099999/briefing")
	if res.StatusCode != 200 {
		t.Fatalf("briefing: %d", res.StatusCode)
	}
	for _, w := range []string{"Briefing", "Exampleton (synthetic)", "Key facts", "<svg", "Caveats", "Sources and licences",
		"Open Government Licence", "Permalink:", "/areas/E06099999/briefing", "made-up demo data"} {
		if !strings.Contains(body, w) {
			t.Errorf("briefing lacks %q", w)
		}
	}
	checkPagePolicy(t, "/areas/E06099999/briefing", res, body)
	// Sources are what the briefing shows: the GP list behind its services
	// facts, not the library list when no fact or question is about
	// libraries (the demo loads both).
	shown, sources, _ := strings.Cut(body, "Sources and licences")
	if !strings.Contains(sources, "GP practices in England and Wales") {
		t.Error("briefing sources lack the GP list its services facts use")
	}
	if !strings.Contains(strings.ToLower(shown), "librar") && strings.Contains(sources, "Public libraries") {
		t.Error("briefing sources list the library list, which nothing on the briefing uses")
	}
	if res, _ := get(t, srv, "/areas/NOPE/briefing"); res.StatusCode != 404 {
		t.Errorf("unknown briefing: %d", res.StatusCode)
	}
}
