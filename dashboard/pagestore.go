package dashboard

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// pageStore keeps rendered area profiles (their default view, gzipped) in
// a file on disk, one file per data version and build. A first visit to an
// area then costs a read, not the 10-15 ms of CPU a render takes, and the
// pages live in the operating system's file cache, not the server's
// memory (issue 5: profiles p95 under 100 ms with 50 clients, server under
// 500 MB). Prerender fills it in the background; a page rendered for a
// visitor is added too.
//
// The file is a sequence of records (key length, page length, CRC-32 of
// the page, key, page) after a magic header. It is only appended to, so a
// server killed while writing loses at most the record it was writing:
// opening the file again reads the records back and cuts off a torn end.
type pageStore struct {
	dir string
	log *slog.Logger

	mu  sync.Mutex
	cur *pageFile
}

// pageFile is the store's file for one fingerprint (data version and
// build).
type pageFile struct {
	fingerprint string
	path        string

	mu    sync.RWMutex
	f     *os.File
	index map[string]pageLoc
	size  int64 // where the next record goes
	bad   bool  // a write failed: stop writing, keep reading
}

type pageLoc struct {
	off int64 // of the page bytes
	n   uint32
	crc uint32
}

const (
	pageMagic      = "CGPAGES1"
	pageHeaderSize = 12
	// maxPageRecord bounds one stored page (a local authority's profile is
	// about 110 KB gzipped): a larger length read back is a damaged file.
	maxPageRecord  = 16 << 20
	pageFilePrefix = "profiles-"
	pageFileSuffix = ".pages"
)

func newPageStore(dir string, log *slog.Logger) *pageStore {
	if dir == "" {
		return nil
	}
	return &pageStore{dir: dir, log: log}
}

// file returns the store's file for fingerprint, opening it (and removing
// the files of other fingerprints) when the fingerprint is new.
func (ps *pageStore) file(fingerprint string) (*pageFile, error) {
	if ps == nil {
		return nil, nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.cur != nil && ps.cur.fingerprint == fingerprint {
		return ps.cur, nil
	}
	pf, err := openPageFile(ps.dir, fingerprint)
	if err != nil {
		return nil, err
	}
	if old := ps.cur; old != nil {
		// Readers may still hold the old file: close it once they are done.
		time.AfterFunc(time.Minute, func() { old.close() })
	}
	ps.cur = pf
	ps.removeOthers(pf.path)
	if n := pf.len(); n > 0 {
		ps.log.Info("stored profiles", "pages", n, "file", pf.path, "bytes", pf.size)
	}
	return pf, nil
}

// removeOthers deletes the files of other data versions and builds.
func (ps *pageStore) removeOthers(keep string) {
	names, err := filepath.Glob(filepath.Join(ps.dir, pageFilePrefix+"*"+pageFileSuffix))
	if err != nil {
		return
	}
	for _, n := range names {
		if n != keep {
			if err := os.Remove(n); err != nil {
				ps.log.Warn("removing old stored profiles", "file", n, "err", err)
			}
		}
	}
}

func pageFileName(fingerprint string) string {
	sum := sha256.Sum256([]byte(fingerprint))
	return pageFilePrefix + hex.EncodeToString(sum[:8]) + pageFileSuffix
}

func openPageFile(dir, fingerprint string) (*pageFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("page store: %w", err)
	}
	path := filepath.Join(dir, pageFileName(fingerprint))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("page store: %w", err)
	}
	pf := &pageFile{fingerprint: fingerprint, path: path, f: f, index: map[string]pageLoc{}}
	if err := pf.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("page store %s: %w", path, err)
	}
	return pf, nil
}

// load reads the records back, keeping those that are whole, and cuts the
// file after the last of them.
func (pf *pageFile) load() error {
	st, err := pf.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < int64(len(pageMagic)) {
		if err := pf.f.Truncate(0); err != nil {
			return err
		}
		if _, err := pf.f.WriteAt([]byte(pageMagic), 0); err != nil {
			return err
		}
		pf.size = int64(len(pageMagic))
		return nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(pf.f, 0, st.Size()), 64<<10)
	magic := make([]byte, len(pageMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != pageMagic {
		// Not ours, or from another format: start again.
		if err := pf.f.Truncate(0); err != nil {
			return err
		}
		return pf.load()
	}
	off := int64(len(pageMagic))
	var hdr [pageHeaderSize]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			break
		}
		kn, n, crc := binary.LittleEndian.Uint32(hdr[0:]), binary.LittleEndian.Uint32(hdr[4:]), binary.LittleEndian.Uint32(hdr[8:])
		if kn == 0 || kn > 1024 || n > maxPageRecord || off+pageHeaderSize+int64(kn)+int64(n) > st.Size() {
			break
		}
		key := make([]byte, kn)
		if _, err := io.ReadFull(r, key); err != nil {
			break
		}
		// The page's CRC is checked when it is read, not here: reading
		// the whole file back at start-up would cost more than it saves.
		if _, err := r.Discard(int(n)); err != nil {
			break
		}
		pf.index[string(key)] = pageLoc{off: off + pageHeaderSize + int64(kn), n: n, crc: crc}
		off += pageHeaderSize + int64(kn) + int64(n)
	}
	pf.size = off
	if off < st.Size() {
		return pf.f.Truncate(off)
	}
	return nil
}

func (pf *pageFile) len() int {
	if pf == nil {
		return 0
	}
	pf.mu.RLock()
	defer pf.mu.RUnlock()
	return len(pf.index)
}

// bytes is the file's size.
func (pf *pageFile) bytes() int64 {
	pf.mu.RLock()
	defer pf.mu.RUnlock()
	return pf.size
}

func (pf *pageFile) has(key string) bool {
	pf.mu.RLock()
	defer pf.mu.RUnlock()
	_, ok := pf.index[key]
	return ok
}

// get returns a stored page; a page that fails its CRC is dropped and
// reported as missing, so it is rendered again.
func (pf *pageFile) get(key string) ([]byte, bool) {
	if pf == nil {
		return nil, false
	}
	pf.mu.RLock()
	loc, ok := pf.index[key]
	f := pf.f
	pf.mu.RUnlock()
	if !ok || f == nil {
		return nil, false
	}
	b := make([]byte, loc.n)
	if _, err := f.ReadAt(b, loc.off); err != nil || crc32.ChecksumIEEE(b) != loc.crc {
		pf.mu.Lock()
		delete(pf.index, key)
		pf.mu.Unlock()
		return nil, false
	}
	return b, true
}

// put appends a page; a key already stored is left as it is.
func (pf *pageFile) put(key string, page []byte) error {
	if pf == nil || len(key) == 0 || len(key) > 1024 || len(page) > maxPageRecord {
		return nil
	}
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if _, ok := pf.index[key]; ok || pf.bad || pf.f == nil {
		return nil
	}
	rec := make([]byte, pageHeaderSize, pageHeaderSize+len(key)+len(page))
	crc := crc32.ChecksumIEEE(page)
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(key)))
	binary.LittleEndian.PutUint32(rec[4:], uint32(len(page)))
	binary.LittleEndian.PutUint32(rec[8:], crc)
	rec = append(append(rec, key...), page...)
	if _, err := pf.f.WriteAt(rec, pf.size); err != nil {
		// A full disk: serve what is stored and render the rest.
		pf.bad = true
		return fmt.Errorf("page store %s: %w", pf.path, err)
	}
	pf.index[key] = pageLoc{off: pf.size + pageHeaderSize + int64(len(key)), n: uint32(len(page)), crc: crc}
	pf.size += int64(len(rec))
	return nil
}

func (pf *pageFile) close() {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if pf.f != nil {
		pf.f.Close()
		pf.f = nil
	}
}

// buildIdentity names this build of the server for the store's
// fingerprint: the executable (its path, size and time), the templates and
// the static files, so a new build never serves pages an older one drew.
func buildIdentity(st *staticFiles) string {
	h := sha256.New()
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			fmt.Fprintf(h, "%s|%d|%d|", exe, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := templateFS.ReadFile(p)
			fmt.Fprintf(h, "%s|%d|", p, len(b))
			h.Write(b)
		}
		return nil
	})
	if st != nil {
		for _, name := range slices.Sorted(maps.Keys(st.hash)) {
			fmt.Fprintf(h, "%s=%s|", name, st.hash[name])
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
