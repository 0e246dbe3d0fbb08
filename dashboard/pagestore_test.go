package dashboard

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestPageStore(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ps := newPageStore(dir, log)
	pf, err := ps.file("v1")
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string][]byte{"E01000001|lsoa11|imd|": []byte("page one"), "E05000001|ward|imd|": bytes.Repeat([]byte("w"), 70000)}
	for k, v := range pages {
		if err := pf.put(k, v); err != nil {
			t.Fatal(err)
		}
	}
	// A key stored twice keeps its first page.
	if err := pf.put("E01000001|lsoa11|imd|", []byte("other")); err != nil {
		t.Fatal(err)
	}
	check := func(pf *pageFile) {
		t.Helper()
		for k, want := range pages {
			if got, ok := pf.get(k); !ok || !bytes.Equal(got, want) {
				t.Errorf("get %s: %q %v", k, truncate(got), ok)
			}
		}
		if _, ok := pf.get("E01999999|lsoa11|imd|"); ok {
			t.Error("a page never stored was found")
		}
	}
	check(pf)

	// Another server on the same directory and fingerprint reads them back.
	pf2, err := newPageStore(dir, log).file("v1")
	if err != nil {
		t.Fatal(err)
	}
	check(pf2)
	pf2.close()

	// A server killed while writing leaves a torn record: it is cut off and
	// the whole ones are kept.
	if err := pf.put("E06000009|lad|imd|", bytes.Repeat([]byte("x"), 5000)); err != nil {
		t.Fatal(err)
	}
	size := pf.bytes()
	pf.close()
	if err := os.Truncate(pf.path, size-100); err != nil {
		t.Fatal(err)
	}
	pf3, err := newPageStore(dir, log).file("v1")
	if err != nil {
		t.Fatal(err)
	}
	check(pf3)
	if _, ok := pf3.get("E06000009|lad|imd|"); ok {
		t.Error("a torn page was read back")
	}
	if err := pf3.put("E06000009|lad|imd|", []byte("again")); err != nil {
		t.Fatal(err)
	}
	if got, ok := pf3.get("E06000009|lad|imd|"); !ok || string(got) != "again" {
		t.Errorf("after the cut: %q %v", got, ok)
	}

	// A damaged page fails its CRC: it is reported missing (drawn again).
	loc := pf3.index["E01000001|lsoa11|imd|"]
	if _, err := pf3.f.WriteAt([]byte("X"), loc.off); err != nil {
		t.Fatal(err)
	}
	if _, ok := pf3.get("E01000001|lsoa11|imd|"); ok {
		t.Error("a damaged page was served")
	}

	// New data (or a new build): a new file, and the old one is removed.
	ps3 := newPageStore(dir, log)
	if _, err := ps3.file("v1"); err != nil {
		t.Fatal(err)
	}
	pf4, err := ps3.file("v2")
	if err != nil {
		t.Fatal(err)
	}
	if pf4.len() != 0 {
		t.Errorf("new fingerprint has %d pages", pf4.len())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || files[0] != pf4.path {
		t.Errorf("files after a new fingerprint: %v", files)
	}

	// A file that is not a page store is started again, not trusted.
	junk := filepath.Join(dir, pageFileName("v3"))
	if err := os.WriteFile(junk, []byte("not a page store at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	pf5, err := ps3.file("v3")
	if err != nil {
		t.Fatal(err)
	}
	if pf5.len() != 0 || pf5.bytes() != int64(len(pageMagic)) {
		t.Errorf("junk file read as %d pages, %d bytes", pf5.len(), pf5.bytes())
	}

	// Without a directory there is no store, and its methods are no-ops.
	var none *pageStore = newPageStore("", log)
	if f, err := none.file("v1"); f != nil || err != nil {
		t.Errorf("no store: %v %v", f, err)
	}
	var nf *pageFile
	if _, ok := nf.get("k"); ok || nf.len() != 0 || nf.put("k", []byte("x")) != nil {
		t.Error("nil page file")
	}
}

func truncate(b []byte) []byte {
	if len(b) > 20 {
		return b[:20]
	}
	return b
}

// A new custom area keeps the stored profiles (it changes no other page);
// new data starts a new file; custom areas' own pages are not stored.
func TestPageFileVersion(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), pages: newPageStore(t.TempDir(), nil), build: "b"}
	s.pages.log = s.log
	s.prof.version = "5/9/1700000000/0"
	pf := s.pageFile()
	if pf == nil {
		t.Fatal("no page file")
	}
	key := s.defaultProfileKey("E01000001|lsoa11|x|y")
	s.keepPage(key, []byte("page"))
	s.keepPage(s.defaultProfileKey("XABC123|custom|x|y"), []byte("custom page"))
	if pf.len() != 1 || !pf.has(key) {
		t.Errorf("stored %d pages, want the LSOA's only", pf.len())
	}
	s.prof.version = "5/9/1700000000/1"
	if s.pageFile() != pf {
		t.Error("a new custom area started a new page file")
	}
	s.prof.version = "6/10/1700000100/1"
	if s.pageFile() == pf {
		t.Error("new data kept the old page file")
	}
}
