package dashboard_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestRecipePages(t *testing.T) {
	srv := newServer(t)
	for _, tt := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/recipes", 200, []string{"<h1 class=\"heading-l\">Recipes</h1>", "Services", "Deprivation", "Money", "/recipes/top_suppliers"}},
		{"/recipes/most_deprived_neighbourhoods?area=E06099999&limit=5", 200, []string{"Showing <strong>Exampleton (synthetic)</strong> (E06099999)",
			"<table class=\"table recipe-table\">", "IMD rank", "5 rows.", "format=csv", "format=parquet", "format=geojson",
			"Link to these results: <a href=\"/recipes/most_deprived_neighbourhoods?area=E06099999&amp;edition=2019&amp;limit=5\"",
			"<option value=\"2019\" selected>2019</option>", "Things to know", "The SQL behind this recipe"}},
		// By name, as a person types it; the datalist offers the authority.
		{"/recipes/most_deprived_neighbourhoods?area=exampleton+(synthetic)", 200, []string{"(E06099999)", `<option value="E06099999">`}},
		{"/recipes/top_suppliers", 200, []string{"Supplier name", "Total pounds"}},
		// Bad values: a 400 with the GOV.UK error summary linking to each field, values kept (escaped).
		{"/recipes/services_near_deprived?area=%3Cscript%3Ealert(1)%3C/script%3E&km=99&decile=x", 400, []string{"There is a problem",
			`<a href="#p-km">Distance in kilometres: enter a number from 0.1 to 20</a>`, `href="#p-decile"`, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`,
			`aria-describedby="p-km-hint p-km-error"`}},
		{"/recipes/nope", 404, []string{"no recipe called"}},
	} {
		res, body := get(t, srv, tt.path)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, res.StatusCode, tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q", tt.path, w)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: unescaped input", tt.path)
		}
		checkPagePolicy(t, tt.path, res, body)
	}
	// Every recipe's page renders with its defaults, even where the
	// default area (Trafford) is not loaded.
	_, list := get(t, srv, "/api/recipes")
	var l struct{ Recipes []struct{ ID string } }
	if err := json.Unmarshal([]byte(list), &l); err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Recipes {
		if res, body := get(t, srv, "/recipes/"+r.ID); res.StatusCode != 200 || !strings.Contains(body, "Results") {
			t.Errorf("/recipes/%s: %d", r.ID, res.StatusCode)
		}
	}
	// The downloads on the page work: the same parameters through the API.
	_, page := get(t, srv, "/recipes/most_deprived_neighbourhoods?area=E06099999&limit=5")
	if strings.Count(page, "<tr>") != 6 {
		t.Errorf("%d table rows, want a header and 5", strings.Count(page, "<tr>"))
	}
}

func TestRecipeAPI(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/api/recipes")
	var list struct {
		Recipes []struct {
			ID      string
			Params  []map[string]any
			Formats []string
		}
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %v", res.StatusCode, err)
	}
	if len(list.Recipes) < 8 {
		t.Fatalf("%d recipes", len(list.Recipes))
	}
	for _, r := range list.Recipes {
		for _, p := range r.Params {
			if p["kind"] == "choice" && p["options"] == nil {
				t.Errorf("%s: choice %v without options", r.ID, p["name"])
			}
		}
	}

	res, body = get(t, srv, "/api/recipes/most_deprived_neighbourhoods?area=E06099999&limit=7&format=csv")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || res.StatusCode != 200 || len(recs) != 8 || recs[0][0] != "lsoa_code" {
		t.Fatalf("csv: %d %v %d rows: %.300s", res.StatusCode, err, len(recs), body)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "most_deprived_neighbourhoods.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
	// Ranks ascending: the most deprived first.
	for i := 2; i < len(recs); i++ {
		if len(recs[i][2]) < len(recs[i-1][2]) || (len(recs[i][2]) == len(recs[i-1][2]) && recs[i][2] < recs[i-1][2]) {
			t.Errorf("rank %s after %s", recs[i][2], recs[i-1][2])
		}
	}
	res, body = get(t, srv, "/api/recipes/most_deprived_neighbourhoods?area=E06099999&limit=3&format=geojson")
	var fc struct {
		Type     string
		Features []struct{ Geometry map[string]any }
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 3 || fc.Features[0].Geometry["type"] == nil {
		t.Fatalf("geojson: %d %v %.300s", res.StatusCode, err, body)
	}
	res, body = get(t, srv, "/api/recipes/most_deprived_neighbourhoods?area=E06099999&limit=3")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(body), &rows); err != nil || len(rows) != 3 || rows[0]["lsoa_code"] == nil {
		t.Fatalf("json: %d %v %.300s", res.StatusCode, err, body)
	}
	for _, tt := range []struct{ path, want string }{
		{"/api/recipes/top_suppliers?format=geojson", "no geometry"},
		{"/api/recipes/top_suppliers?format=xlsx", "Unknown format"},
		{"/api/recipes/top_suppliers?limit=0", "How many suppliers: enter a whole number from 1 to 1000"},
		{"/api/recipes/top_suppliers?council=E99", "choose one of the options"},
		{"/api/recipes/services_in_area?area=Nowhere+at+all", "could not find"},
	} {
		res, body := get(t, srv, tt.path)
		if res.StatusCode != 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tt.path, res.StatusCode, body, tt.want)
		}
	}
	if res, _ := get(t, srv, "/api/recipes/nope"); res.StatusCode != 404 {
		t.Errorf("unknown recipe: %d", res.StatusCode)
	}
}
