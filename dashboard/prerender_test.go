package dashboard_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"net/http/httptest"

	"commonground/dashboard"
	"commonground/queries"
)

// Profiles drawn into the page store are the pages a server without one
// draws; a second server on the same directory serves them without
// drawing any again; other map views are not stored.
func TestPrerenderedProfiles(t *testing.T) {
	cat, err := queries.Default()
	if err != nil {
		t.Fatal(err)
	}
	db := demoDB(t)
	dir := t.TempDir()
	var logs bytes.Buffer
	start := func(pageDir string) (*dashboard.Server, *httptest.Server) {
		t.Helper()
		logs.Reset()
		h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), PageDir: pageDir}, db, cat)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return h, srv
	}
	_, plain := start("")
	h, srv := start(dir)
	if res, body := get(t, srv, "/readyz"); res.StatusCode != 503 || strings.Contains(body, "profiles stored") {
		t.Errorf("/readyz before warming: %d %q", res.StatusCode, body)
	}
	if err := h.Prerender(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.MarkReady()
	_, body := get(t, srv, "/readyz")
	m := regexp.MustCompile(`profiles stored: (\d+) of (\d+)`).FindStringSubmatch(body)
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("/readyz after Prerender: %q", body)
	}
	areas, _ := strconv.Atoi(m[2])
	if !strings.Contains(logs.String(), "profiles prerendered") {
		t.Errorf("no summary logged:\n%s", logs.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "profiles-*.pages"))
	if len(files) != 1 {
		t.Fatalf("page files: %v", files)
	}
	size := fileSize(t, files[0])

	for _, p := range []string{"/areas/E06099999", "/areas/E05099001", "/areas/E01099001"} {
		res, stored := get(t, srv, p)
		_, drawn := get(t, plain, p)
		if res.StatusCode != 200 || stored != drawn {
			t.Errorf("%s: the stored page (%d, %d bytes) is not the page drawn without a store (%d bytes)", p, res.StatusCode, len(stored), len(drawn))
		}
	}
	// Another view of the map is drawn, and kept in memory only.
	if res, body := get(t, srv, "/areas/E01099001?indicator=population_total"); res.StatusCode != 200 || !strings.Contains(body, "Key facts") {
		t.Errorf("another map view: %d", res.StatusCode)
	}
	if got := fileSize(t, files[0]); got != size {
		t.Errorf("the page file grew from %d to %d bytes for a view that is not the default", size, got)
	}

	// A restarted server finds every page stored and draws none.
	h2, srv2 := start(dir)
	if err := h2.Prerender(t.Context()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "prerendering profiles") {
		t.Errorf("the second server drew pages again:\n%s", logs.String())
	}
	h2.MarkReady()
	if _, body := get(t, srv2, "/readyz"); !strings.Contains(body, "profiles stored: "+m[2]+" of "+m[2]) {
		t.Errorf("/readyz of the second server: %q (want all %d)", body, areas)
	}
	res, stored := get(t, srv2, "/areas/E06099999")
	_, drawn := get(t, plain, "/areas/E06099999")
	if res.StatusCode != 200 || stored != drawn {
		t.Error("the second server's stored page differs from a drawn one")
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
