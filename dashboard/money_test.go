package dashboard_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestMoneyPages(t *testing.T) {
	srv := newServer(t)
	for _, tt := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/money", 200, []string{"Money against need", "/money?within=E06099999&amp;level=ward"}},
		{"/money?within=E06099999&level=ward", 200, []string{"Money against need: Exampleton", "are not loaded", "Placed and not placed", "Supplier not found", "format=csv&amp;table=deciles"}},
		{"/money?within=e06099999&level=custom", 200, []string{"Community-defined areas"}},
		{"/money?within=E01099001", 400, []string{"local authority code"}},
		{"/money?within=E06099999&level=msoa21", 400, []string{"level must be ward or custom"}},
		{"/money?within=E08999999", 404, []string{"could not find a local authority"}},
		{"/money?within=%3Cscript%3E", 400, []string{"&lt;SCRIPT&gt;"}},
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
		if strings.Contains(body, "<script>") {
			t.Errorf("%s: unescaped input", tt.path)
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			checkPagePolicy(t, tt.path, res, body)
		}
	}
}

func TestMoneyAPI(t *testing.T) {
	srv := newServer(t)
	res, body := get(t, srv, "/api/money?within=E06099999&level=ward")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("json: %d %q", res.StatusCode, body)
	}
	var out struct {
		Report struct {
			Within     struct{ Code string }
			Residents  int64
			SpendTotal float64 `json:"spend_total"`
			Spend      []struct {
				Status string
				Amount float64
			} `json:"spend_by_status"`
			Areas []struct{ Code string }
		}
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	// The demo is on LSOA 2011 only, so there are no neighbourhood figures,
	// but the spending is still reported, as unmapped.
	if out.Report.Within.Code != "E06099999" || out.Report.Residents != 0 {
		t.Errorf("report %+v", out.Report)
	}
	var sum float64
	for _, s := range out.Report.Spend {
		sum += s.Amount
	}
	if out.Report.SpendTotal == 0 || sum < out.Report.SpendTotal-0.01 || sum > out.Report.SpendTotal+0.01 {
		t.Errorf("spending by status adds to %.2f, total %.2f", sum, out.Report.SpendTotal)
	}

	for table, head := range map[string]string{
		"spend_status": "status,label,placed_in_neighbourhood",
		"grant_status": "status,label,placed_in_neighbourhood",
	} {
		res, body := get(t, srv, "/api/money?within=E06099999&level=ward&format=csv&table="+table)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, head) {
			t.Errorf("csv %q: %d %s %q", table, res.StatusCode, res.Header.Get("Content-Type"), body[:min(len(body), 80)])
			continue
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Errorf("csv %q: %v, %d records", table, err, len(recs))
		}
	}
	for _, p := range []string{"/api/money?within=E06099999&format=xml", "/api/money?within=E06099999&format=csv&table=nope", "/api/money?within=nope"} {
		if res, _ := get(t, srv, p); res.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", p, res.StatusCode)
		}
	}
}

// The profile and briefing of the authority and of a ward show the
// comparison; the briefing keeps it short.
func TestMoneySectionOnProfileAndBriefing(t *testing.T) {
	srv := newServer(t)
	for _, p := range []string{"/areas/E06099999", "/areas/E06099999/briefing"} {
		res, body := get(t, srv, p)
		if res.StatusCode != 200 || !strings.Contains(body, `id="money-need-h"`) || !strings.Contains(body, "unmapped") {
			t.Errorf("%s: %d, money section missing", p, res.StatusCode)
			continue
		}
		if strings.Contains(p, "briefing") {
			i := strings.Index(body, `id="money-need-h"`)
			j := strings.Index(body[i:], "</section>")
			if i < 0 || j < 0 || strings.Count(body[i:i+j], ". ") > 3 {
				t.Errorf("%s: the money section should be at most three sentences", p)
			}
		}
	}
}
