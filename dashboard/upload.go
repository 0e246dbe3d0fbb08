package dashboard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// MaxUploadBytes caps a custom-area upload (the file and the form).
const MaxUploadBytes = 10 << 20

// AddCustomArea stores a custom area from an uploaded GeoJSON file and
// returns its code. An error wrapping ErrBadUpload is the user's to fix and
// is shown to them; anything else is logged as a server error.
type AddCustomArea func(ctx context.Context, name string, geojson io.Reader, file string) (code string, err error)

// ErrBadUpload marks an upload the user can correct.
var ErrBadUpload = errors.New("bad upload")

func (s *Server) newArea(c echo.Context) error {
	if s.cfg.AddCustomArea == nil {
		return echo.NewHTTPError(http.StatusNotFound, "This server does not accept new areas.")
	}
	return c.Render(http.StatusOK, "area_new", page{Title: "Add your own area"})
}

func (s *Server) createArea(c echo.Context) error {
	if s.cfg.AddCustomArea == nil {
		return echo.NewHTTPError(http.StatusNotFound, "This server does not accept new areas.")
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, MaxUploadBytes+64<<10)
	name := strings.TrimSpace(c.FormValue("name"))
	fail := func(msg string) error {
		return c.Render(http.StatusUnprocessableEntity, "area_new", page{Title: "Add your own area",
			Data: map[string]any{"Error": msg, "Name": name}})
	}
	if name == "" {
		return fail("Give the area a name, for example “Old Trafford Big Local”.")
	}
	if len(name) > 120 {
		return fail("The name is too long: use 120 characters or fewer.")
	}
	// A polygon drawn on the map (/map) arrives as GeoJSON text in the
	// "geojson" field instead of a file.
	if drawn := c.FormValue("geojson"); drawn != "" {
		if len(drawn) > MaxUploadBytes {
			return fail("The drawn boundary is too large: draw it with fewer points.")
		}
		code, err := s.cfg.AddCustomArea(c.Request().Context(), name, strings.NewReader(drawn), "drawn.geojson")
		if errors.Is(err, ErrBadUpload) {
			return fail("The boundary you drew could not be used: " + strings.TrimPrefix(err.Error(), ErrBadUpload.Error()+": ") +
				" Go back to the map and draw it again, or upload a file here.")
		}
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		s.prof.recheck()
		return c.Redirect(http.StatusSeeOther, "/areas/"+code)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail("The file is too large: the limit is 10 MB. Simplify the boundary (for example with mapshaper) and try again.")
		}
		return fail("Choose a GeoJSON file of your area’s boundary.")
	}
	if fh.Size > MaxUploadBytes {
		return fail("The file is too large: the limit is 10 MB. Simplify the boundary (for example with mapshaper) and try again.")
	}
	f, err := fh.Open()
	if err != nil {
		return fail("The file could not be read. Try again.")
	}
	defer f.Close()
	code, err := s.cfg.AddCustomArea(c.Request().Context(), name, io.LimitReader(f, MaxUploadBytes), fh.Filename)
	if errors.Is(err, ErrBadUpload) {
		return fail(strings.TrimPrefix(err.Error(), ErrBadUpload.Error()+": "))
	}
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	s.prof.recheck()
	return c.Redirect(http.StatusSeeOther, "/areas/"+code)
}
