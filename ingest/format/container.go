package format

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Entry is one file to read from a source path: the file itself, the
// decompressed content of a gzip file, or one member of a zip archive.
type Entry struct {
	// Name is the base name: without ".gz" for gzip content, the member's
	// base name for a zip member.
	Name string
	// Open opens the entry's decompressed bytes. Each call opens afresh; the
	// caller closes the result. Read errors from damaged compressed data are
	// *ParseError values naming the file.
	Open func() (io.ReadCloser, error)
	// Path is the file on disk when the entry is the file itself (a plain
	// file or a workbook); "" for decompressed content and zip members.
	Path string
	// XLSX marks an Excel workbook: a zip holding [Content_Types].xml and
	// xl/workbook.xml is one entry (read with NewXLSXReader), not members.
	XLSX bool
}

var (
	magicGzip = []byte{0x1F, 0x8B}
	magicZip  = []byte("PK\x03\x04")
	magicZipE = []byte("PK\x05\x06") // empty archive
)

// OpenEntries lists the entries of the file at path, sniffing magic bytes
// rather than trusting the extension: gzip gives one entry (decompressed,
// named without ".gz"); zip gives one entry per regular member, skipping
// directories, __MACOSX/ and dot-files, sorted by name (a member that is
// itself gzip is decompressed and named without ".gz"), except that a zip
// holding [Content_Types].xml and xl/workbook.xml is an Excel workbook and
// gives one entry marked XLSX; anything else is the file itself. A truncated
// or corrupt gzip or zip gives a *ParseError naming the file; for gzip,
// damage past the header only surfaces while reading, as a *ParseError from
// the entry's reader.
func OpenEntries(path string) ([]Entry, error) {
	base := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, &ParseError{File: base, Err: err}
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return gzipEntries(path, base)
	case bytes.HasPrefix(head, magicZip), bytes.HasPrefix(head, magicZipE):
		return zipEntries(path, base)
	}
	return []Entry{{Name: base, Path: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}}, nil
}

// isWorkbook reports whether a zip's members are those of an XLSX workbook.
func isWorkbook(files []*zip.File) bool {
	var types, workbook bool
	for _, f := range files {
		switch f.Name {
		case "[Content_Types].xml":
			types = true
		case "xl/workbook.xml":
			workbook = true
		}
	}
	return types && workbook
}

func trimGz(name string) string {
	if len(name) > 3 && strings.EqualFold(name[len(name)-3:], ".gz") {
		return name[:len(name)-3]
	}
	return name
}

func gzipEntries(path, base string) ([]Entry, error) {
	open := func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		rc, err := newGzipReader(f, f, base)
		if err != nil {
			f.Close()
			return nil, err
		}
		return rc, nil
	}
	// Check the header now, so a damaged file fails at listing time.
	rc, err := open()
	if err != nil {
		return nil, err
	}
	rc.Close()
	return []Entry{{Name: trimGz(base), Open: open}}, nil
}

// gzipReadCloser decompresses and turns damaged-stream errors into
// *ParseError values.
type gzipReadCloser struct {
	zr     *gzip.Reader
	closer io.Closer
	file   string
}

func newGzipReader(r io.Reader, closer io.Closer, file string) (io.ReadCloser, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, &ParseError{File: file, Err: errors.New("truncated gzip stream")}
		}
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a valid gzip stream: %w", err)}
	}
	return &gzipReadCloser{zr: zr, closer: closer, file: file}, nil
}

func (g *gzipReadCloser) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		var pe *ParseError
		switch {
		case errors.As(err, &pe):
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = &ParseError{File: g.file, Err: errors.New("truncated gzip stream")}
		default:
			err = &ParseError{File: g.file, Err: fmt.Errorf("corrupt gzip stream: %w", err)}
		}
	}
	return n, err
}

func (g *gzipReadCloser) Close() error {
	err := g.zr.Close()
	if cerr := g.closer.Close(); err == nil {
		err = cerr
	}
	return err
}

// skipZipMember reports whether a zip member is not a data file.
func skipZipMember(f *zip.File) bool {
	name := f.Name
	if f.FileInfo().IsDir() || strings.HasSuffix(name, "/") {
		return true
	}
	if strings.HasPrefix(name, "__MACOSX/") || strings.Contains(name, "/__MACOSX/") {
		return true
	}
	return strings.HasPrefix(path.Base(name), ".")
}

func zipEntries(zpath, base string) ([]Entry, error) {
	zr, err := zip.OpenReader(zpath)
	if err != nil {
		return nil, &ParseError{File: base, Err: fmt.Errorf("not a valid zip: %w", err)}
	}
	defer zr.Close()
	if isWorkbook(zr.File) {
		return []Entry{{Name: base, Path: zpath, XLSX: true, Open: func() (io.ReadCloser, error) { return os.Open(zpath) }}}, nil
	}
	type member struct {
		entry Entry
		full  string
	}
	var members []member
	for _, f := range zr.File {
		if skipZipMember(f) {
			continue
		}
		full := f.Name
		label := base + ":" + full
		name := path.Base(full)
		gz := false
		if strings.HasSuffix(strings.ToLower(name), ".gz") {
			rc, err := f.Open()
			if err != nil {
				return nil, &ParseError{File: label, Err: fmt.Errorf("not a valid zip member: %w", err)}
			}
			head := make([]byte, 2)
			n, _ := io.ReadFull(rc, head)
			rc.Close()
			if bytes.Equal(head[:n], magicGzip) {
				gz = true
				name = trimGz(name)
			}
		}
		members = append(members, member{full: full, entry: Entry{Name: name, Open: zipMemberOpener(zpath, base, full, gz)}})
	}
	sort.SliceStable(members, func(i, j int) bool {
		if members[i].entry.Name != members[j].entry.Name {
			return members[i].entry.Name < members[j].entry.Name
		}
		return members[i].full < members[j].full
	})
	out := make([]Entry, len(members))
	for i, m := range members {
		out[i] = m.entry
	}
	return out, nil
}

// zipMemberOpener opens the archive afresh for each Open, so that listing
// entries holds no file open.
func zipMemberOpener(zpath, base, member string, gz bool) func() (io.ReadCloser, error) {
	label := base + ":" + member
	return func() (io.ReadCloser, error) {
		zr, err := zip.OpenReader(zpath)
		if err != nil {
			return nil, &ParseError{File: base, Err: fmt.Errorf("not a valid zip: %w", err)}
		}
		var zf *zip.File
		for _, f := range zr.File {
			if f.Name == member {
				zf = f
				break
			}
		}
		if zf == nil {
			zr.Close()
			return nil, &ParseError{File: base, Err: fmt.Errorf("zip member %s has gone", member)}
		}
		rc, err := zf.Open()
		if err != nil {
			zr.Close()
			return nil, &ParseError{File: label, Err: fmt.Errorf("not a valid zip member: %w", err)}
		}
		mr := &zipMemberReader{rc: rc, zr: zr, file: label}
		if !gz {
			return mr, nil
		}
		g, err := newGzipReader(bufio.NewReader(mr), mr, label)
		if err != nil {
			mr.Close()
			return nil, err
		}
		return g, nil
	}
}

// zipMemberReader reads one member and closes the archive with it.
type zipMemberReader struct {
	rc   io.ReadCloser
	zr   *zip.ReadCloser
	file string
}

func (m *zipMemberReader) Read(p []byte) (int, error) {
	n, err := m.rc.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = &ParseError{File: m.file, Err: errors.New("truncated zip member")}
		} else {
			err = &ParseError{File: m.file, Err: fmt.Errorf("corrupt zip member: %w", err)}
		}
	}
	return n, err
}

func (m *zipMemberReader) Close() error {
	err := m.rc.Close()
	if cerr := m.zr.Close(); err == nil {
		err = cerr
	}
	return err
}
