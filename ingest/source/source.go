// Package source puts source bytes on local disk and says where they came from.
//
// A command-line argument is either an http(s) URL or a local path. Resolve expands the arguments (directories and
// glob patterns become files), and Fetcher.Open turns each one into a Result: a local file to read plus its
// provenance (source, sha256, size, validators, fetch time). URLs are downloaded into a cache directory with
// conditional requests, retries and a size cap (see Fetcher); local paths are hashed in place (see Local).
//
// The package imports only the standard library and the progress bar module (with its golang.org/x/term
// dependency, used to detect a terminal).
package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// ErrOffline is wrapped by the error Fetch (and Open) returns when the server cannot be reached at all: DNS failure,
// connection refused, no route to host, or a timeout while connecting. It is not returned when a cached copy could
// be used instead (Result.FromCache is set then).
var ErrOffline = errors.New("offline")

// ErrTooLarge is wrapped by the error Fetch (and Open) returns when a download is larger than Fetcher.MaxBytes,
// whether the server announced it in Content-Length or the body simply ran past the cap.
var ErrTooLarge = errors.New("download exceeds size cap")

// Result describes one local file ready to read, and where it came from.
type Result struct {
	Path         string // local path of the bytes (cache file for URLs; the file itself for local paths)
	Source       string // the URL, or the absolute local path
	SHA256       string // hex
	Bytes        int64
	ETag         string // validator sent by the server (empty for local files)
	LastModified string // Last-Modified from the server; for local files the modification time in HTTP date format
	NotModified  bool   // the server answered 304 and the cached copy was used
	FromCache    bool   // offline or failed, and a previously cached copy was used (a warning is logged)
	// FetchedAt is when the bytes were last confirmed current: the download time, the time of the 304 answer
	// (NotModified), the original download or last 304 time (FromCache), or the time a local file was read.
	FetchedAt time.Time
}

// IsURL reports whether s is an absolute http or https URL with a host.
func IsURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Open is the single entry point the ingest runner calls for each resolved argument: a URL goes to Fetch, anything
// else to Local. A nil *Fetcher can open local paths.
func (f *Fetcher) Open(ctx context.Context, arg string) (Result, error) {
	if IsURL(arg) {
		return f.Fetch(ctx, arg)
	}
	return Local(ctx, arg)
}

// Local returns a Result for a local file (sha256 + size computed by streaming; Source = absolute path). It fails
// for anything but a regular file (or a symlink to one), and stops early when ctx is cancelled.
func Local(ctx context.Context, path string) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("local %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Result{}, fmt.Errorf("local %s: %w", path, err)
	}
	file, err := os.Open(abs)
	if err != nil {
		return Result{}, fmt.Errorf("local %s: %w", path, pathErrCause(err))
	}
	defer file.Close() //nolint:errcheck // read-only; a close error cannot lose data
	info, err := file.Stat()
	if err != nil {
		return Result{}, fmt.Errorf("local %s: %w", path, pathErrCause(err))
	}
	if info.IsDir() {
		return Result{}, fmt.Errorf("local %s: is a directory (expand it with Resolve first)", path)
	}
	if !info.Mode().IsRegular() {
		return Result{}, fmt.Errorf("local %s: not a regular file (%s)", path, info.Mode().Type())
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, ctxReader{ctx: ctx, r: file}, make([]byte, 256<<10))
	if err != nil {
		return Result{}, fmt.Errorf("local %s: %w", path, pathErrCause(err))
	}
	return Result{
		Path:         abs,
		Source:       abs,
		SHA256:       hex.EncodeToString(h.Sum(nil)),
		Bytes:        n,
		LastModified: info.ModTime().UTC().Format(http.TimeFormat),
		FetchedAt:    time.Now().UTC(),
	}, nil
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// pathErrCause drops the *fs.PathError wrapper (whose op and path our own message already names) and keeps its
// cause, so errors.Is(err, fs.ErrNotExist) still works on the result.
func pathErrCause(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
