package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeFiles creates each named file (slash-separated, relative to root) with its name as content.
func writeFiles(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLocalHashes(t *testing.T) {
	t.Parallel()
	content := []byte("LSOA11CD,All Ages\nE01000001,\"1,465\"\n")
	p := filepath.Join(t.TempDir(), "sape.csv")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Local(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s, want %x", res.SHA256, sum)
	}
	if res.Bytes != int64(len(content)) || res.Path != p || res.Source != p {
		t.Errorf("got %+v", res)
	}
	if res.FetchedAt.IsZero() || res.LastModified == "" || res.NotModified || res.FromCache {
		t.Errorf("got %+v", res)
	}

	// A larger file spans several read buffers.
	big := make([]byte, 3<<20+17)
	for i := range big {
		big[i] = byte(i * 7)
	}
	bp := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(bp, big, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = Local(t.Context(), bp)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(big); res.SHA256 != hex.EncodeToString(sum[:]) || res.Bytes != int64(len(big)) {
		t.Errorf("big file: got %+v", res)
	}
}

func TestLocalRelativePathBecomesAbsolute(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "rel.csv")
	t.Chdir(dir)
	res, err := Local(t.Context(), "rel.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(res.Source) || filepath.Base(res.Source) != "rel.csv" || res.Path != res.Source {
		t.Errorf("Source %q Path %q, want the absolute path", res.Source, res.Path)
	}
}

func TestLocalErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.csv")
	_, err := Local(t.Context(), missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist naming the path", err)
	}
	if _, err := Local(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: error %v", err)
	}
	writeFiles(t, dir, "x.csv")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Local(ctx, filepath.Join(dir, "x.csv")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

func TestOpenDispatches(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("remote"))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)

	remote, err := f.Open(t.Context(), srv.URL+"/r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if remote.Source != srv.URL+"/r.csv" || filepath.Dir(remote.Path) != f.CacheDir {
		t.Errorf("URL: got %+v", remote)
	}

	dir := t.TempDir()
	writeFiles(t, dir, "l.csv")
	local, err := f.Open(t.Context(), filepath.Join(dir, "l.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if local.Path != filepath.Join(dir, "l.csv") || local.SHA256 != sha256Hex([]byte("l.csv")) {
		t.Errorf("path: got %+v", local)
	}
	if names := dirNames(t, f.CacheDir); len(names) != 2 {
		t.Errorf("cache dir holds %v, want only the URL's file and sidecar", names)
	}
}

func TestIsURL(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"https://example.org/a.csv": true,
		"http://127.0.0.1:8080/x":   true,
		"HTTPS://EXAMPLE.ORG/":      true,
		"ftp://example.org/a.csv":   false,
		"https:///nohost":           false,
		"data/a.csv":                false,
		`C:\data\a.csv`:             false,
		"file:///tmp/a.csv":         false,
		"":                          false,
	} {
		if got := IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestResolveDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, "b.csv", "a.csv", "sub/c.json.gz", "sub/deeper/d.csv", ".hidden", "sub/.DS_Store", ".git/config")
	got, err := Resolve([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "a.csv"),
		filepath.Join(root, "b.csv"),
		filepath.Join(root, "sub", "c.json.gz"),
		filepath.Join(root, "sub", "deeper", "d.csv"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve(dir) = %q, want %q", got, want)
	}
}

func TestResolveGlob(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, "lad/E06.json.gz", "lad/E07.json.gz", "lad/readme.txt", "lad/.x.json.gz")
	got, err := Resolve([]string{filepath.Join(root, "lad", "*.json.gz")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "lad", "E06.json.gz"), filepath.Join(root, "lad", "E07.json.gz")}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve(glob) = %q, want %q", got, want)
	}

	pattern := filepath.Join(root, "lad", "*.parquet")
	_, err = Resolve([]string{pattern})
	if err == nil || !strings.Contains(err.Error(), strconv.Quote(pattern)) || !strings.Contains(err.Error(), "matches no files") {
		t.Errorf("unmatched glob: error %v, want one naming %q", err, pattern)
	}
}

func TestResolveMissingPath(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.csv")
	_, err := Resolve([]string{missing})
	if err == nil || !strings.Contains(err.Error(), strconv.Quote(missing)) {
		t.Fatalf("error %v, want one naming %q", err, missing)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if _, err := Resolve([]string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("empty directory: error %v", err)
	}
}

func TestResolveURLsOrderAndDuplicates(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, "a.csv", "sub/b.csv")
	const url = "https://example.org/data/pop.csv?format=csv"
	args := []string{
		url,
		filepath.Join(root, "sub", "b.csv"),
		root, // a.csv is new, sub/b.csv already listed
		filepath.Join(root, "sub", "..", "a.csv"),
		url,
		"http://example.org/other.json",
	}
	got, err := Resolve(args)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		url,
		filepath.Join(root, "sub", "b.csv"),
		filepath.Join(root, "a.csv"),
		"http://example.org/other.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve = %q, want %q", got, want)
	}
}

func TestResolveLiteralPathWithGlobChars(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, root, "data[2024].csv")
	p := filepath.Join(root, "data[2024].csv")
	got, err := Resolve([]string{p})
	if err != nil || !slices.Equal(got, []string{p}) {
		t.Errorf("Resolve(%q) = %q, %v", p, got, err)
	}
}

// TestImportPolicy enforces the package map: ingest/source imports only the standard library and the progress bar
// module (with its golang.org/x/term dependency), never another project package.
func TestImportPolicy(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{"github.com/schollz/progressbar/v3": true, "golang.org/x/term": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			stdlib := !strings.Contains(strings.Split(p, "/")[0], ".")
			if !stdlib && !allowed[p] {
				t.Errorf("%s imports %s: ingest/source may import only the standard library and the progress bar", name, p)
			}
		}
	}
}
