package dashboard_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"commonground/dashboard"
	"commonground/queries"
	"commonground/warehouse"
)

var (
	gapsOnce sync.Once
	gapsPath string
	gapsErr  error
)

// gapsServer serves a copy of the demo warehouse with service_access
// built (the shared demo warehouse is opened read-only by other tests).
func gapsServer(t *testing.T) *httptest.Server {
	t.Helper()
	demoDB(t) // builds the demo file once
	gapsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gaps-dashboard-")
		if err != nil {
			gapsErr = err
			return
		}
		gapsPath = filepath.Join(dir, "gaps.duckdb")
		b, err := os.ReadFile(dbPath)
		if err != nil {
			gapsErr = err
			return
		}
		if gapsErr = os.WriteFile(gapsPath, b, 0o644); gapsErr != nil {
			return
		}
		db, err := warehouse.Open(t.Context(), gapsPath, warehouse.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			gapsErr = err
			return
		}
		defer db.Close()
		_, gapsErr = queries.RefreshAccess(t.Context(), db)
	})
	if gapsErr != nil {
		t.Fatal(gapsErr)
	}
	db, err := warehouse.Open(t.Context(), gapsPath, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := queries.Default()
	if err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, db, cat)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// The demo authority, Exampleton.
const demoLAD = "E06099999"

func TestGapsPage(t *testing.T) {
	srv := gapsServer(t)
	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/gaps", 200, []string{`id="gaps-form"`, `id="gaps-service"`, `id="gaps-within"`, "Choose an area", "Exampleton"}},
		{"/gaps?service=gp&within=" + demoLAD, 200, []string{`id="gaps-summary"`, `id="gaps-map"`, `id="gaps-list"`, `id="gaps-csv"`,
			"more than 1.5 km in a straight line from the nearest GP practice", "How this is worked out", `<option value="gp" selected>`}},
		{"/gaps?service=library&within=" + strings.ToLower(demoLAD), 200, []string{"Libraries in Exampleton", `id="gaps-table"`}},
		{"/gaps?service=launderette&within=" + demoLAD, 400, []string{`id="gaps-error"`, "There is no service type"}},
		{"/gaps?service=gp&within=E09999999", 404, []string{`id="gaps-error"`, "We could not find an area"}},
		{"/gaps?service=gp&within=%3Cscript%3Ealert(1)%3C/script%3E", 404, []string{"&lt;SCRIPT&gt;"}},
	} {
		res, body := get(t, srv, tc.path)
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, res.StatusCode, tc.status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no %q", tc.path, w)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: unescaped input", tc.path)
		}
		checkPagePolicy(t, tc.path, res, body)
	}
}

func TestGapsAPI(t *testing.T) {
	srv := gapsServer(t)
	res, body := get(t, srv, "/api/gaps?service=gp&within="+demoLAD)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var got struct {
		Service struct {
			Key         string  `json:"key"`
			ThresholdKm float64 `json:"threshold_km"`
		} `json:"service"`
		Report struct {
			Within  struct{ Code string } `json:"within"`
			Covered struct {
				LSOAs     int   `json:"lsoas"`
				Residents int64 `json:"residents"`
			} `json:"covered"`
			Beyond struct {
				Residents int64 `json:"residents"`
			} `json:"beyond_threshold"`
			Rows []struct {
				LSOA      string  `json:"lsoa11_code"`
				NearestKm float64 `json:"nearest_km"`
				Residents int64   `json:"residents"`
				Beyond    bool    `json:"beyond_threshold"`
			} `json:"neighbourhoods"`
		} `json:"report"`
		Sentences []string `json:"sentences"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Service.Key != "gp" || got.Service.ThresholdKm != 1.5 || got.Report.Within.Code != demoLAD || got.Report.Covered.LSOAs == 0 ||
		len(got.Report.Rows) != got.Report.Covered.LSOAs || len(got.Sentences) < 2 {
		t.Fatalf("report %+v", got)
	}
	var beyond, all int64
	for _, r := range got.Report.Rows {
		all += r.Residents
		if r.Beyond != (r.NearestKm > 1.5) {
			t.Errorf("%s: %v km, beyond %v", r.LSOA, r.NearestKm, r.Beyond)
		}
		if r.Beyond {
			beyond += r.Residents
		}
	}
	if beyond != got.Report.Beyond.Residents || all != got.Report.Covered.Residents {
		t.Errorf("beyond %d / %d, rows sum to %d / %d", got.Report.Beyond.Residents, got.Report.Covered.Residents, beyond, all)
	}

	res, body = get(t, srv, "/api/gaps?service=gp&within="+demoLAD+"&format=csv")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(got.Report.Rows)+1 || recs[0][0] != "lsoa11_code" || recs[1][0] != got.Report.Rows[0].LSOA {
		t.Errorf("csv: %d rows, header %v", len(recs), recs[0])
	}

	for path, status := range map[string]int{
		"/api/gaps":            http.StatusBadRequest,
		"/api/gaps?service=gp": http.StatusBadRequest,
		"/api/gaps?service=nope&within=" + demoLAD:    http.StatusBadRequest,
		"/api/gaps?service=gp&within=E00000000":       http.StatusNotFound,
		"/api/gaps?service=gp&within=%27%3B%20DROP--": http.StatusNotFound,
	} {
		res, body := get(t, srv, path)
		if res.StatusCode != status || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want %d", path, res.StatusCode, body, status)
		}
	}
}

func TestGapsSectionInProfileAndBriefing(t *testing.T) {
	srv := gapsServer(t)
	_, body := get(t, srv, "/areas/"+demoLAD)
	if !strings.Contains(body, `id="gaps-section"`) || !strings.Contains(body, "/gaps?service=gp&amp;within="+demoLAD) {
		t.Error("profile has no gaps section")
	}
	_, body = get(t, srv, "/areas/"+demoLAD+"/briefing")
	if !strings.Contains(body, `id="gaps-brief"`) {
		t.Error("briefing has no gaps section")
	}
}
