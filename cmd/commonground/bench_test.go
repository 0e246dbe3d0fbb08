package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"commonground/dashboard"
	"commonground/queries"
	"commonground/warehouse"
)

// bench runs end to end, briefly, against a dashboard on the demo area, and
// reports every phase; it refuses servers off this machine.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.duckdb")
	if code, out, errb := runCLI(t, "demo", "--db", db, "--dir", filepath.Join(dir, "files")); code != 0 {
		t.Fatalf("demo: %s %s", out, errb)
	}
	w, err := warehouse.Open(t.Context(), db, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cat, err := queries.Default()
	if err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, w, cat)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	// The bench waits for /readyz, which serve marks after warming.
	if res, err := http.Get(srv.URL + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz before warming: %v %v", res, err)
	}
	go func() {
		if err := h.Warm(t.Context()); err != nil {
			t.Error(err)
		}
		h.MarkReady()
	}()
	code, out, errb := runCLI(t, "bench", "--url", srv.URL, "--clients", "4", "--profiles", "20", "--tiles", "10",
		"--pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("bench: %d\n%s\n%s", code, out, errb)
	}
	for _, want := range []string{"profiles, first visits, 4 clients", "profiles, revisits (", "tiles z11-14, warm", "tiles z5-10", "First load of /areas/", "peak RSS", "Errors (HTTP 4xx/5xx or failed requests): 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errb := runCLI(t, "bench", "--url", "http://example.org"); code != 2 || !strings.Contains(errb, "loopback") {
		t.Errorf("bench on another host: code %d, %q", code, errb)
	}
}
