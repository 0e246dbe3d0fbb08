package dashboard_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The profile's sections on the synthetic demo: the map by a chosen
// indicator with its chooser, key and table, services, spending and grants.
func TestAreaProfileSections(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path        string
		want, avoid []string
	}{
		{"/areas/E06099999", []string{
			`id="map-h"`, `<select class="select" id="map-indicator" name="indicator">`, ` selected>`,
			`name="svc" value="gp_practice" checked`, `name="svc" value="school">`, `aria-labelledby="imap-title imap-desc"`,
			`class="key-swatch"`, "Show the map’s figures as a table", `How the neighbourhoods are spread`, `aria-labelledby="dist-title dist-desc"`,
			`id="svc-h"`, "Services in and near Exampleton (synthetic)", `/map?area=E06099999`,
			`id="money-h"`, "Council spending", "Largest suppliers", "By service area", "Grants (360Giving)", "Largest recipients",
		}, []string{"Open this in the map explorer</a> to zoom, pan and compare with neighbouring areas.</p>\n  {{"}},
		// The chooser's state is in the URL: another indicator, schools only.
		{"/areas/E06099999?map=1&indicator=imd2019_income_most_deprived_10pc&svc=school", []string{
			`<option value="imd2019_income_most_deprived_10pc" selected>`, `name="svc" value="school" checked`, `Schools <span class="muted">(`,
			"layers=school",
		}, []string{`name="svc" value="gp_practice" checked`}},
		// The form sent with no services ticked shows none.
		{"/areas/E06099999?map=1&indicator=distance_gp_km", []string{`<option value="distance_gp_km" selected>`}, []string{`class="map-services"`, `checked>`}},
		// Nonsense is ignored, never an error.
		{"/areas/E06099999?indicator=%3Cscript%3E&svc=nope&svc=%22", []string{` selected>`, `class="key-swatch"`}, []string{"<script>"}},
		// A neighbourhood is drawn among those around it, outlined.
		{"/areas/E01099001", []string{`id="map-h"`, `stroke="#0b0c0c" stroke-width="4"`, "outlined in black", `id="svc-h"`},
			[]string{"How the neighbourhoods are spread", "Largest suppliers"}},
		// A ward: no council spending of its own, a pointer to the council's.
		{"/areas/E05099001", []string{`id="map-h"`, "Council spending is published for the whole council", `href="/areas/E06099999#money-h"`}, nil},
	}
	for _, tt := range tests {
		res, body := get(t, srv, tt.path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", tt.path, res.StatusCode)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: body lacks %q", tt.path, w)
			}
		}
		for _, a := range tt.avoid {
			if strings.Contains(body, a) {
				t.Errorf("%s: body has %q", tt.path, a)
			}
		}
		checkPagePolicy(t, tt.path, res, body)
	}
}

var mapPath = regexp.MustCompile(`<path d="M[^"]*" fill="(#[0-9a-f]{6})" fill-rule="evenodd"`)

// Every neighbourhood on the demo authority's map is coloured from the
// palette (the demo has IMD 2019 for every LSOA), and the legend counts
// add up to the neighbourhoods drawn.
func TestProfileMapColours(t *testing.T) {
	srv := newServer(t)
	_, body := get(t, srv, "/areas/E06099999")
	palette := map[string]bool{"#440154": true, "#3b528b": true, "#21918c": true, "#5ec962": true, "#fde725": true}
	ms := mapPath.FindAllStringSubmatch(body, -1)
	if len(ms) != 60 {
		t.Fatalf("%d neighbourhoods drawn, want 60", len(ms))
	}
	for _, m := range ms {
		if !palette[m[1]] {
			t.Errorf("neighbourhood filled %s, not from the palette", m[1])
		}
	}
	total := 0
	for _, m := range regexp.MustCompile(`</svg>[^<]*<span class="muted">\((\d+)\)</span></li>`).FindAllStringSubmatch(body[strings.Index(body, "map-legend"):strings.Index(body, "service-key")], -1) {
		n := 0
		for _, c := range m[1] {
			n = n*10 + int(c-'0')
		}
		total += n
	}
	if total != 60 {
		t.Errorf("legend counts add up to %d, want 60", total)
	}
}

// A profile state is rendered once and then sent from the cache, gzipped
// to clients that accept it and plain to those that do not.
func TestProfilePageCache(t *testing.T) {
	srv := newServer(t)
	_, first := get(t, srv, "/areas/E05099001?indicator=distance_gp_km")
	_, second := get(t, srv, "/areas/E05099001?indicator=distance_gp_km")
	if first != second || !strings.Contains(first, `<option value="distance_gp_km" selected>`) {
		t.Error("the cached page differs from the first")
	}
	for _, gz := range []bool{false, true} {
		req, _ := http.NewRequest("GET", srv.URL+"/areas/E05099001?indicator=distance_gp_km", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		enc := res.Header.Get("Content-Encoding")
		if gz != (enc == "gzip") || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("gzip %v: Content-Encoding %q, Vary %q", gz, enc, res.Header.Get("Vary"))
		}
		if !gz && string(b) != first {
			t.Error("the plain page differs from the gzipped one")
		}
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Error("cached page without a CSP")
		}
	}
}
