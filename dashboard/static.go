package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// staticFiles serves embedded files under content-hashed URLs
// (/static/<hash>/<name>), cached for a year: a new build changes the URL.
type staticFiles struct {
	hash  map[string]string // name -> hash
	files map[string][]byte
}

func loadStatic() (*staticFiles, error) {
	st := &staticFiles{hash: map[string]string{}, files: map[string][]byte{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		st.hash[name] = hex.EncodeToString(sum[:6])
		st.files[name] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return st, nil
}

// url returns the hashed URL of a static file; it panics on a missing file,
// which loadViews turns into a start-up error (templates are checked then).
func (st *staticFiles) url(name string) (string, error) {
	h, ok := st.hash[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + h + "/" + name, nil
}

func (st *staticFiles) handler(c echo.Context) error {
	hash, name := c.Param("hash"), c.Param("*")
	b, ok := st.files[name]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	h := c.Response().Header()
	if hash == st.hash[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	etag := `"` + st.hash[name] + `"`
	h.Set("ETag", etag)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}
