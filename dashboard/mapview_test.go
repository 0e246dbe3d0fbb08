package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"commonground/dashboard"
	"commonground/queries"
)

// The map offers the indicators engine's indicators, grouped, at the levels
// they are computed for, with their values from the same engine.
func TestMapCatalogueIndicators(t *testing.T) {
	srv := newServer(t)
	_, body := get(t, srv, "/map?level=lsoa11")
	for _, want := range []string{`<optgroup label="Deprivation: IMD 2019">`, `value="imd2019_most_deprived_10pc"`,
		`id="map-indicator-filter"`, `id="map-classes"`, `data-classes="quantile"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/map lacks %s", want)
		}
	}
	// IMD 2025 indicators are on LSOA 2021 boundaries, not 2011 ones.
	if strings.Contains(body, `<option value="imd2025_score"`) {
		t.Error("an LSOA 2021 indicator is offered on LSOA 2011 boundaries")
	}
	_, body = get(t, srv, "/map?level=ward&indicator=imd2019_most_deprived_10pc&classes=jenks")
	if !strings.Contains(body, `data-indicator="imd2019_most_deprived_10pc"`) || !strings.Contains(body, `data-classes="jenks"`) ||
		!strings.Contains(body, `value="jenks" selected`) {
		t.Error("/map does not keep a catalogue indicator and jenks classes from the URL")
	}

	// Values agree with the engine's.
	res, body := get(t, srv, "/api/map/values?level=ward&indicator=imd2019_most_deprived_10pc")
	var vals map[string]float64
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &vals) != nil || len(vals) == 0 {
		t.Fatalf("values: %d %.200s", res.StatusCode, body)
	}
	cat, _ := queries.Default()
	want, err := cat.Values(t.Context(), demoDB(t), "imd2019_most_deprived_10pc", "ward", "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range want {
		if v.Status != queries.StatusOK {
			continue
		}
		n++
		if got, ok := vals[v.Area.Code]; !ok || got-v.Value > 1e-3*max(1, v.Value) || v.Value-got > 1e-3*max(1, v.Value) {
			t.Errorf("%s: map %v, engine %v", v.Area.Code, got, v.Value)
		}
	}
	if n != len(vals) {
		t.Errorf("map has %d values, engine %d", len(vals), n)
	}
	// Cached, and the same again.
	_, again := get(t, srv, "/api/map/values?level=ward&indicator=imd2019_most_deprived_10pc")
	if again != body {
		t.Error("cached values differ")
	}
	for path, code := range map[string]int{
		"/api/map/values?level=lsoa21&indicator=imd2019_most_deprived_10pc": 400, // LSOA 2011 indicator
		"/api/map/values?level=ward&indicator=council_spending_per_head":    400, // authorities only
	} {
		if res, _ := get(t, srv, path); res.StatusCode != code {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, code)
		}
	}

	// The table view lists every ward with its figure, highest first.
	res, body = get(t, srv, "/map?level=ward&indicator=imd2019_most_deprived_10pc&view=table")
	if res.StatusCode != 200 || strings.Count(body, "<tr><td>") != 12 || !strings.Contains(body, "highest first") {
		t.Errorf("table: %d, %d rows", res.StatusCode, strings.Count(body, "<tr><td>"))
	}
}

// Drawing on the map: the page offers it only when uploads are on, and a
// drawn polygon posted as the geojson field makes the area.
func TestMapDrawnArea(t *testing.T) {
	var gotName, gotBody string
	add := func(_ context.Context, name string, r io.Reader, file string) (string, error) {
		b, _ := io.ReadAll(r)
		if strings.Contains(string(b), "bad") {
			return "", dashboardBadUpload("the edges cross")
		}
		gotName, gotBody = name, string(b)
		return "XDRAWN1", nil
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AddCustomArea: add}, demoDB(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, body := get(t, srv, "/map")
	for _, want := range []string{`id="map-draw-start"`, `id="map-draw-form"`, `action="/areas" method="post"`, `name="geojson"`, `data-draw="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/map with uploads lacks %s", want)
		}
	}
	if _, body := get(t, newServer(t), "/map"); strings.Contains(body, `id="map-draw-start"`) {
		t.Error("/map offers drawing without uploads")
	}
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	poly := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[-3.95,54.04],[-3.93,54.04],[-3.93,54.06],[-3.95,54.04]]]}}]}`
	res, err := c.PostForm(srv.URL+"/areas", url.Values{"name": {"Drawn"}, "geojson": {poly}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/areas/XDRAWN1" || gotName != "Drawn" || gotBody != poly {
		t.Errorf("drawn: %d %s %q", res.StatusCode, res.Header.Get("Location"), gotName)
	}
	res, err = c.PostForm(srv.URL+"/areas", url.Values{"name": {"Drawn"}, "geojson": {"bad"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "the edges cross") || !strings.Contains(string(b), "draw it again") {
		t.Errorf("bad drawing: %d", res.StatusCode)
	}
}

func dashboardBadUpload(msg string) error { return &badUpload{msg} }

type badUpload struct{ msg string }

func (e *badUpload) Error() string { return dashboard.ErrBadUpload.Error() + ": " + e.msg }
func (e *badUpload) Unwrap() error { return dashboard.ErrBadUpload }
