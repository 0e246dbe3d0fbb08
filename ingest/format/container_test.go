package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fixture(name string) string { return filepath.Join("testdata", "csv", name) }

func readEntry(t *testing.T, e Entry) (string, error) {
	t.Helper()
	rc, err := e.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func TestOpenEntriesPlain(t *testing.T) {
	for _, name := range []string{"crlf.csv", "not_really.csv.gz", "empty.csv"} {
		entries, err := OpenEntries(fixture(name))
		if err != nil || len(entries) != 1 || entries[0].Name != name {
			t.Fatalf("%s: %+v %v", name, entries, err)
		}
		got, err := readEntry(t, entries[0])
		want, _ := os.ReadFile(fixture(name))
		if err != nil || got != string(want) {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
}

func TestOpenEntriesGzip(t *testing.T) {
	for name, wantName := range map[string]string{
		"iod_like.csv.gz":            "iod_like.csv",
		"gzip_without_extension.dat": "gzip_without_extension.dat",
	} {
		entries, err := OpenEntries(fixture(name))
		if err != nil || len(entries) != 1 || entries[0].Name != wantName {
			t.Fatalf("%s: %+v %v", name, entries, err)
		}
		got, err := readEntry(t, entries[0])
		if err != nil || !strings.HasPrefix(got, "\xEF\xBB\xBFLSOA code (2011),") || !strings.HasSuffix(got, "\"7,890\"") {
			t.Errorf("%s: %q %v", name, got, err)
		}
		// Open can be called again.
		if again, err := readEntry(t, entries[0]); err != nil || again != got {
			t.Errorf("second open: %v", err)
		}
	}
}

func TestOpenEntriesTruncatedGzip(t *testing.T) {
	entries, err := OpenEntries(fixture("truncated.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = readEntry(t, entries[0])
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "truncated.csv.gz" || pe.Err.Error() != "truncated gzip stream" {
		t.Fatalf("err = %#v", err)
	}

	// Cut inside the gzip header: fails at listing time.
	dir := t.TempDir()
	full, _ := os.ReadFile(fixture("iod_like.csv.gz"))
	p := filepath.Join(dir, "head.csv.gz")
	if err := os.WriteFile(p, full[:5], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenEntries(p)
	if !errors.As(err, &pe) || pe.File != "head.csv.gz" || !strings.Contains(err.Error(), "truncated gzip stream") {
		t.Fatalf("err = %v", err)
	}

	// Corrupt deflate data (flipped bytes) is a *ParseError too.
	bad := append([]byte(nil), full...)
	for i := 20; i < 40; i++ {
		bad[i] ^= 0xFF
	}
	p = filepath.Join(dir, "bad.csv.gz")
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err = OpenEntries(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readEntry(t, entries[0])
	if !errors.As(err, &pe) || pe.File != "bad.csv.gz" {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenEntriesZip(t *testing.T) {
	entries, err := OpenEntries(fixture("bundle.zip"))
	if err != nil {
		t.Fatal(err)
	}
	var names, bodies []string
	for _, e := range entries {
		names = append(names, e.Name)
		b, err := readEntry(t, e)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	if want := []string{"a.csv", "b.csv", "c.csv"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if want := []string{"a,b\n1,2\n", "a,b\n3,4\n", "a,b\n5,6\n"}; !reflect.DeepEqual(bodies, want) {
		t.Errorf("bodies %q, want %q", bodies, want)
	}
}

func TestOpenEntriesTruncatedZip(t *testing.T) {
	_, err := OpenEntries(fixture("truncated.zip"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "truncated.zip" || !strings.HasPrefix(pe.Err.Error(), "not a valid zip: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenEntriesMissingFile(t *testing.T) {
	if _, err := OpenEntries(fixture("nope.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

// A gzip member with several concatenated streams reads as one.
func TestOpenEntriesMultistreamGzip(t *testing.T) {
	var buf bytes.Buffer
	for _, part := range []string{"a,b\n", "1,2\n"} {
		w := gzip.NewWriter(&buf)
		w.Write([]byte(part))
		w.Close()
	}
	p := filepath.Join(t.TempDir(), "multi.csv.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err := OpenEntries(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readEntry(t, entries[0]); err != nil || got != "a,b\n1,2\n" {
		t.Fatalf("%q %v", got, err)
	}
}
