package dashboard_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"commonground/dashboard"
	"commonground/queries"
)

// TestOpenAPICoversRoutes checks /api/openapi.json against the routes the
// server really has: every /api route documented, nothing documented that
// is not a route, and the document well formed.
func TestOpenAPICoversRoutes(t *testing.T) {
	cat, err := queries.Default()
	if err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, demoDB(t), cat)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, body := get(t, srv, "/api/openapi.json")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("no CORS header on the document")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version string
		} `json:"info"`
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string `json:"summary"`
			Parameters  []struct {
				Name, In string
				Required bool
				Schema   map[string]any
			} `json:"parameters"`
			Responses map[string]map[string]any `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas   map[string]any `json:"schemas"`
			Responses map[string]any `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Info.Title == "" || doc.Info.Version == "" || len(doc.Paths) == 0 {
		t.Fatalf("not an OpenAPI 3 document: %.200s", body)
	}
	documented := map[string]bool{}
	ids := map[string]bool{}
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	for p, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + p
			documented[key] = true
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or repeated", key, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Summary == "" || op.Responses["200"] == nil {
				t.Errorf("%s: no summary or 200 response", key)
			}
			for _, r := range op.Responses {
				if ref, ok := r["$ref"].(string); ok {
					if _, ok := doc.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]; !ok {
						t.Errorf("%s: $ref %s does not resolve", key, ref)
					}
				}
			}
			inPath := map[string]bool{}
			for _, m := range pathParam.FindAllStringSubmatch(p, -1) {
				inPath[m[1]] = true
			}
			for _, prm := range op.Parameters {
				if prm.In == "path" {
					if !inPath[prm.Name] || !prm.Required {
						t.Errorf("%s: path parameter %s not in the path or not required", key, prm.Name)
					}
					delete(inPath, prm.Name)
				}
				if prm.In != "path" && prm.In != "query" && prm.In != "header" {
					t.Errorf("%s: parameter %s in %q", key, prm.Name, prm.In)
				}
				if prm.Schema == nil {
					t.Errorf("%s: parameter %s has no schema", key, prm.Name)
				}
			}
			for name := range inPath {
				t.Errorf("%s: path parameter {%s} not declared", key, name)
			}
		}
	}
	routes := map[string]bool{}
	for _, r := range dashboard.APIRoutes(h) {
		p := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(r[1], "{$1}")
		routes[r[0]+" "+p] = true
	}
	var missing, extra []string
	for k := range routes {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routes[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not in /api/openapi.json (add them to apiOps in dashboard/openapi.go): %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("documented but not routes: %v", extra)
	}
	if len(routes) < 10 {
		t.Errorf("only %d /api routes found", len(routes))
	}
	// Every GET route answers cross-origin requests.
	for _, p := range []string{"/api/recipes", "/api/export/datasets", "/api/sources", "/api/recipes/most_deprived_neighbourhoods?area=E06099999&format=csv"} {
		res, _ := get(t, srv, p)
		if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: status %d, CORS %q", p, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}
