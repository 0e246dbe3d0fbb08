package ingest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"commonground/ingest/catalog"
)

// Without files, a dataset is fetched from its official URLs into the cache;
// a second run revalidates with a conditional GET.
func TestOfficialSourceDownload(t *testing.T) {
	h := newHarness(t)
	body, err := os.ReadFile(filepath.Join(h.dd, "lookups/postcodes/trafford_postcodes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var full, conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Write(body)
	}))
	defer srv.Close()

	ds, err := catalog.ByID("postcodes")
	if err != nil {
		t.Fatal(err)
	}
	ds.URLs = []string{srv.URL + "/trafford_postcodes.csv"}
	for i := 0; i < 2; i++ {
		s, err := h.r.Run(t.Context(), ds, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Rows != 11264 {
			t.Fatalf("run %d: %d rows", i, s.Rows)
		}
	}
	if full.Load() != 1 || conditional.Load() != 1 {
		t.Fatalf("requests: %d full, %d conditional; want 1 and 1", full.Load(), conditional.Load())
	}
	h.want(`SELECT count(*) FROM ingest_runs WHERE dataset = 'postcodes' AND status = 'ok' AND source LIKE 'http://127.0.0.1%'`, "2")

	// An official load outside the expected row range fails and keeps the old rows.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("postcode,lsoa_code,lat,long\nM15 4AB,E01034001,53.46,-2.26\n"))
	}))
	defer srv2.Close()
	ds.URLs = []string{srv2.URL + "/tiny.csv"}
	if _, err := h.r.Run(t.Context(), ds, nil); err == nil || !strings.Contains(err.Error(), "expected 10000") {
		t.Fatalf("tiny official file: %v", err)
	}
	h.want(`SELECT count(*) FROM postcodes`, "11264")

	// Offline: a clear message that suggests a local copy.
	srv2.Close()
	ds.URLs = []string{srv2.URL + "/gone.csv"}
	_, err = h.r.Run(t.Context(), ds, nil)
	if err == nil || !strings.Contains(err.Error(), "offline") || !strings.Contains(err.Error(), "postcodes") {
		t.Fatalf("offline: %v", err)
	}
}
