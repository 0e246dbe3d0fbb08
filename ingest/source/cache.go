package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// cacheEntry names the two files that cache one URL:
// CacheDir/<first 16 hex of sha256(url)>-<sanitised base name> and the sidecar <same>.meta.json.
type cacheEntry struct {
	dir      string
	path     string
	metaPath string
}

func newCacheEntry(dir, rawURL, urlPath string) cacheEntry {
	sum := sha256.Sum256([]byte(rawURL))
	p := filepath.Join(dir, hex.EncodeToString(sum[:])[:16]+"-"+baseName(urlPath))
	return cacheEntry{dir: dir, path: p, metaPath: p + ".meta.json"}
}

// meta is the sidecar JSON written next to each cached file.
type meta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag"`
	LastModified string    `json:"last_modified"`
	SHA256       string    `json:"sha256"`
	Bytes        int64     `json:"bytes"`
	FetchedAt    time.Time `json:"fetched_at"`
}

// load returns the sidecar if it belongs to rawURL and the cached file still exists with the recorded size.
func (e cacheEntry) load(rawURL string) (meta, bool) {
	data, err := os.ReadFile(e.metaPath)
	if err != nil {
		return meta{}, false
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil || m.URL != rawURL || m.SHA256 == "" || m.Bytes < 0 {
		return meta{}, false
	}
	return m, e.matches(m)
}

// matches reports whether the cached file exists and has the size the sidecar records.
func (e cacheEntry) matches(m meta) bool {
	info, err := os.Stat(e.path)
	return err == nil && info.Mode().IsRegular() && info.Size() == m.Bytes
}

// result describes the cached copy.
func (e cacheEntry) result(m meta) Result {
	return Result{
		Path:         e.path,
		Source:       m.URL,
		SHA256:       m.SHA256,
		Bytes:        m.Bytes,
		ETag:         m.ETag,
		LastModified: m.LastModified,
		FetchedAt:    m.FetchedAt,
	}
}

// createTemp makes a hidden temporary file in the cache directory for e.
func (e cacheEntry) createTemp() (*os.File, error) {
	return os.CreateTemp(e.dir, "."+filepath.Base(e.path)+".*.part")
}

// commit moves a finished, synced and closed temporary body into place and writes its sidecar. The old sidecar goes
// first, so a crash in between leaves a cache file without a sidecar (refetched unconditionally), never a sidecar
// that describes different bytes.
func (e cacheEntry) commit(tmpName string, m meta) error {
	if err := os.Remove(e.metaPath); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove old sidecar: %w", err)
	}
	if err := os.Rename(tmpName, e.path); err != nil {
		return fmt.Errorf("move download into cache: %w", err)
	}
	syncDir(e.dir)
	return e.writeMeta(m)
}

// writeMeta replaces the sidecar atomically.
func (e cacheEntry) writeMeta(m meta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sidecar: %w", err)
	}
	tmp, err := os.CreateTemp(e.dir, "."+filepath.Base(e.metaPath)+".*.part")
	if err != nil {
		return fmt.Errorf("write sidecar: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), e.metaPath)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write sidecar: %w", err)
	}
	syncDir(e.dir)
	return nil
}

// syncDir flushes a directory entry change (a rename) to disk where the platform supports it; failure only weakens
// crash durability, never correctness, so it is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// baseName is the sanitised last element of a URL path ("download" when the path has none).
func baseName(urlPath string) string {
	base := path.Base(urlPath)
	if base == "/" || base == "." {
		return "download"
	}
	return sanitizeName(base)
}

// sanitizeName turns the last element of a URL path into a safe file name: ASCII letters, digits, '.', '_' and '-'
// are kept, anything else becomes '_', and over-long names keep their end (where the extension is).
func sanitizeName(name string) string {
	const maxLen = 80
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), ".")
	if len(s) > maxLen {
		s = s[len(s)-maxLen:]
	}
	if s == "" {
		return "download"
	}
	return s
}

// cacheLocks serialises fetches of the same cache file within the process (keyed by absolute path, so two Fetchers
// sharing a CacheDir are covered too). Different URLs never wait for each other.
var cacheLocks sync.Map // string -> chan struct{}

// lockCache waits for the cache file at path to be free, or for ctx to end.
func lockCache(ctx context.Context, path string) (unlock func(), err error) {
	v, _ := cacheLocks.LoadOrStore(path, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
