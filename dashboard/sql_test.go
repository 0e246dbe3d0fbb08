package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSQLConsole(t *testing.T) {
	srv := sqlServer(t)
	res, body := get(t, srv, "/sql")
	checkPagePolicy(t, "/sql", res, body)
	for _, want := range []string{`<form action="/sql" method="get"`, `<label class="label" for="sql-q">`, `id="table-areas"`,
		"<code>geometry</code>", "BLOB", "Examples to start from", `id="table-area_lsoas"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/sql lacks %q", want)
		}
	}
	if res.StatusCode != http.StatusOK || strings.Contains(body, "Results") {
		t.Fatalf("empty console: %d", res.StatusCode)
	}

	// Without JavaScript: the GET form runs the query on the server.
	q := "SELECT code, name, geometry FROM areas WHERE level = 'lsoa11' ORDER BY code"
	res, body = get(t, srv, "/sql?q="+url.QueryEscape(q))
	checkPagePolicy(t, "/sql?q=", res, body)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "<th scope=\"col\">code<span class=\"sql-type\">VARCHAR</span></th>") ||
		!strings.Contains(body, "rows.") || !strings.Contains(body, "format=geojson") || !strings.Contains(body, "format=parquet") ||
		!strings.Contains(body, "bytes&gt;") {
		t.Fatalf("results page: %d\n%.2000s", res.StatusCode, body)
	}
	// The query is escaped back into the editor, and the permalink keeps it.
	res, body = get(t, srv, "/sql?q="+url.QueryEscape("SELECT '<script>alert(1)</script>' AS x"))
	if res.StatusCode != http.StatusOK || strings.Contains(body, "<script>alert") || !strings.Contains(body, "Link to this query") {
		t.Fatalf("escaping: %d", res.StatusCode)
	}
	// No geometry: no GeoJSON link.
	_, body = get(t, srv, "/sql?q="+url.QueryEscape("SELECT 1 AS x"))
	if strings.Contains(body, "format=geojson") {
		t.Error("GeoJSON offered without a geometry column")
	}
	// Errors are shown on the page with a 4xx and the query kept.
	res, body = get(t, srv, "/sql?q="+url.QueryEscape("DROP TABLE areas"))
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "The query did not run") ||
		!strings.Contains(body, "this is DROP") || !strings.Contains(body, ">DROP TABLE areas</textarea>") {
		t.Fatalf("error page: %d\n%.1500s", res.StatusCode, body)
	}

	// The ingest tables name files on the server: refused, and not listed;
	// their views are.
	res, body = get(t, srv, "/api/sql?q="+url.QueryEscape("SELECT source FROM ingest_runs"))
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "load_runs") {
		t.Errorf("ingest_runs: %d %.300s", res.StatusCode, body)
	}
	_, body = get(t, srv, "/sql")
	if strings.Contains(body, `id="table-ingest_runs"`) || strings.Contains(body, `id="table-ingest_files"`) || !strings.Contains(body, `id="table-load_runs"`) {
		t.Error("/sql lists the private ingest tables, or not their views")
	}
	res, body = get(t, srv, "/api/sql?format=csv&q="+url.QueryEscape("SELECT count(*) AS n FROM load_runs WHERE source LIKE '%/%' AND source NOT LIKE '%://%'"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "n\n0") {
		t.Errorf("load_runs shows a path: %d %q", res.StatusCode, body)
	}
}
