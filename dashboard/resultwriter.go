package dashboard

import (
	"bufio"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"commonground/warehouse"
)

// Download formats and their file extensions and media types.
var resultFormats = map[string]struct{ ext, mediaType string }{
	"csv":     {"csv", "text/csv; charset=utf-8"},
	"json":    {"json", "application/json; charset=utf-8"},
	"parquet": {"parquet", "application/vnd.apache.parquet"},
	"geojson": {"geojson", "application/geo+json; charset=utf-8"},
}

// streamResult runs q (a single read-only statement; args are sql.Named values) in the sandbox and
// streams the whole result to the client in format "csv", "json", "parquet" or "geojson", as an
// attachment named filename + "." + extension. GeoJSON needs a geometry column (WKB BLOB named
// geometry/geom, as in the areas table) or lon/lat columns; otherwise 400 with a clear message.
func (s *Server) streamResult(c echo.Context, q string, args []any, format, filename string) error {
	f, ok := resultFormats[format]
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown format "+strconv.Quote(format)+": use csv, json, parquet or geojson.")
	}
	ctx := c.Request().Context()
	name := safeFilename(filename) + "." + f.ext
	if format == "parquet" {
		err := s.sandbox.StreamParquet(ctx, q, args, func(path string) error {
			setAttachment(c, name, f.mediaType)
			return c.File(path)
		})
		return sqlError(c, err)
	}
	err := s.sandbox.Stream(ctx, q, args, func(rows *sql.Rows) error {
		cols, err := rows.ColumnTypes()
		if err != nil {
			return err
		}
		var enc rowEncoder
		switch format {
		case "csv":
			enc = &csvEncoder{}
		case "json":
			enc = &jsonEncoder{}
		case "geojson":
			g, err := newGeoJSONEncoder(cols)
			if err != nil {
				return err
			}
			enc = g
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		// Fetch the first row before committing the response, so errors
		// that show when the query starts (most of them) are still a
		// proper 4xx with a message.
		more := rows.Next()
		if err := rows.Err(); err != nil {
			return err
		}
		setAttachment(c, name, f.mediaType)
		c.Response().WriteHeader(http.StatusOK)
		w := bufio.NewWriterSize(c.Response(), 64<<10)
		if err := enc.begin(w, cols); err != nil {
			return err
		}
		for ; more; more = rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			if err := enc.row(w, vals); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			// The response is already under way: end it visibly broken
			// rather than looking complete.
			fmt.Fprintf(w, "\n\nERROR: the download stopped: %s\n", err)
			w.Flush()
			return errStreamAborted
		}
		if err := enc.end(w); err != nil {
			return err
		}
		return w.Flush()
	})
	if errors.Is(err, errStreamAborted) || (err != nil && c.Response().Committed) {
		s.log.Warn("download stopped part way", "err", err)
		return nil
	}
	return sqlError(c, err)
}

var errStreamAborted = errors.New("stream aborted after the response started")

func setAttachment(c echo.Context, name, mediaType string) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, mediaType)
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
}

// safeFilename keeps letters, digits, '-' and '_' (default "result").
func safeFilename(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteByte('-')
		}
		if b.Len() >= 80 {
			break
		}
	}
	if b.Len() == 0 {
		return "result"
	}
	return b.String()
}

// sqlError is sqlHTTPError, telling a client turned away when busy when
// to come back.
func sqlError(c echo.Context, err error) error {
	if errors.Is(err, warehouse.ErrBusy) {
		c.Response().Header().Set("Retry-After", "2")
	}
	return sqlHTTPError(err)
}

// sqlHTTPError maps sandbox errors to HTTP errors with the message for the
// person who wrote the query.
func sqlHTTPError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, warehouse.ErrBusy) {
		return echo.NewHTTPError(http.StatusTooManyRequests, err.Error()).WithInternal(err)
	}
	var qe *warehouse.QueryError
	if errors.As(err, &qe) {
		code := map[warehouse.QueryErrorKind]int{
			warehouse.ErrInvalid: http.StatusBadRequest, warehouse.ErrForbidden: http.StatusForbidden,
			warehouse.ErrTooLarge: http.StatusRequestEntityTooLarge, warehouse.ErrTimeout: http.StatusRequestTimeout,
			warehouse.ErrTooMuchMemory: http.StatusUnprocessableEntity, warehouse.ErrFailed: http.StatusUnprocessableEntity,
		}[qe.Kind]
		if code == 0 {
			code = http.StatusUnprocessableEntity
		}
		return echo.NewHTTPError(code, qe.Msg).WithInternal(err)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he
	}
	return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
}

// rowEncoder writes one format, a row at a time.
type rowEncoder interface {
	begin(w io.Writer, cols []*sql.ColumnType) error
	row(w io.Writer, vals []any) error
	end(w io.Writer) error
}

type csvEncoder struct {
	cw    *csv.Writer
	types []string
	rec   []string
}

func (e *csvEncoder) begin(w io.Writer, cols []*sql.ColumnType) error {
	e.cw = csv.NewWriter(w)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name()
		e.types = append(e.types, c.DatabaseTypeName())
	}
	e.rec = make([]string, len(cols))
	return e.cw.Write(names)
}

func (e *csvEncoder) row(_ io.Writer, vals []any) error {
	for i, v := range vals {
		e.rec[i] = textValue(v, e.types[i])
	}
	return e.cw.Write(e.rec)
}

func (e *csvEncoder) end(io.Writer) error { e.cw.Flush(); return e.cw.Error() }

// textValue renders a value for CSV: dates as ISO dates, BLOBs as hex.
func textValue(v any, dbType string) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return hex.EncodeToString(x)
	case time.Time:
		if dbType == "DATE" {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case *big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case []any, map[string]any:
		b, _ := json.Marshal(jsonValue(x, ""))
		return string(b)
	}
	return fmt.Sprint(v)
}

// jsonValue makes a scanned value safe and exact for encoding/json:
// decimals and big integers as JSON numbers, NaN/Inf as null.
func jsonValue(v any, dbType string) any {
	switch x := v.(type) {
	case time.Time:
		if dbType == "DATE" {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
	case *big.Int:
		return json.Number(x.String())
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	case fmt.Stringer: // duckdb.Decimal, UUID, Interval
		s := x.String()
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s)
		}
		return s
	}
	return v
}

// jsonEncoder writes an array of objects, keys in column order.
type jsonEncoder struct {
	keys  [][]byte
	types []string
	n     int
}

func (e *jsonEncoder) begin(w io.Writer, cols []*sql.ColumnType) error {
	for _, c := range cols {
		k, _ := json.Marshal(c.Name())
		e.keys = append(e.keys, k)
		e.types = append(e.types, c.DatabaseTypeName())
	}
	_, err := io.WriteString(w, "[")
	return err
}

func (e *jsonEncoder) row(w io.Writer, vals []any) error {
	sep := ",\n"
	if e.n == 0 {
		sep = "\n"
	}
	e.n++
	io.WriteString(w, sep)
	return writeObject(w, e.keys, vals, e.types, -1)
}

func (e *jsonEncoder) end(w io.Writer) error { _, err := io.WriteString(w, "\n]\n"); return err }

// writeObject writes {"k":v,...}, skipping column skip (-1 for none).
func writeObject(w io.Writer, keys [][]byte, vals []any, types []string, skip int) error {
	io.WriteString(w, "{")
	first := true
	for i, v := range vals {
		if i == skip {
			continue
		}
		if !first {
			io.WriteString(w, ",")
		}
		first = false
		w.Write(keys[i])
		io.WriteString(w, ":")
		b, err := json.Marshal(jsonValue(v, types[i]))
		if err != nil {
			return err
		}
		w.Write(b)
	}
	_, err := io.WriteString(w, "}")
	return err
}

// geoJSONEncoder writes a FeatureCollection, one feature per row: the
// geometry from a WKB column, or a point from lon/lat; other columns are
// properties.
type geoJSONEncoder struct {
	geom, lon, lat int
	keys           [][]byte
	types          []string
	n              int
}

func newGeoJSONEncoder(cols []*sql.ColumnType) (*geoJSONEncoder, error) {
	e := &geoJSONEncoder{geom: -1, lon: -1, lat: -1}
	for i, c := range cols {
		n := strings.ToLower(c.Name())
		t := c.DatabaseTypeName()
		switch {
		case (n == "geometry" || n == "geom") && t == "BLOB" && e.geom < 0:
			e.geom = i
		case (n == "lon" || n == "longitude" || n == "lng") && e.lon < 0:
			e.lon = i
		case (n == "lat" || n == "latitude") && e.lat < 0:
			e.lat = i
		}
	}
	if e.geom < 0 && (e.lon < 0 || e.lat < 0) {
		return nil, &warehouse.QueryError{Kind: warehouse.ErrInvalid,
			Msg: "GeoJSON needs a geometry column (a WKB BLOB named geometry or geom, as in the areas table) or lon and lat columns. Add one to the SELECT, or download CSV instead."}
	}
	return e, nil
}

func (e *geoJSONEncoder) begin(w io.Writer, cols []*sql.ColumnType) error {
	for _, c := range cols {
		k, _ := json.Marshal(c.Name())
		e.keys = append(e.keys, k)
		e.types = append(e.types, c.DatabaseTypeName())
	}
	_, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`)
	return err
}

func (e *geoJSONEncoder) row(w io.Writer, vals []any) error {
	var g orb.Geometry
	if e.geom >= 0 {
		if b, ok := vals[e.geom].([]byte); ok && len(b) > 0 {
			var err error
			if g, err = wkb.Unmarshal(b); err != nil {
				g = nil // not WKB: the feature gets a null geometry
			}
		}
	} else if lon, ok := toFloat(vals[e.lon]); ok {
		if lat, ok := toFloat(vals[e.lat]); ok {
			g = orb.Point{lon, lat}
		}
	}
	sep := ",\n"
	if e.n == 0 {
		sep = "\n"
	}
	e.n++
	io.WriteString(w, sep+`{"type":"Feature","geometry":`)
	if g == nil {
		io.WriteString(w, "null")
	} else {
		b, err := json.Marshal(geojson.NewGeometry(g))
		if err != nil {
			return err
		}
		w.Write(b)
	}
	io.WriteString(w, `,"properties":`)
	if err := writeObject(w, e.keys, vals, e.types, e.geom); err != nil {
		return err
	}
	_, err := io.WriteString(w, "}")
	return err
}

func (e *geoJSONEncoder) end(w io.Writer) error { _, err := io.WriteString(w, "\n]}\n"); return err }

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case fmt.Stringer:
		f, err := strconv.ParseFloat(x.String(), 64)
		return f, err == nil
	}
	return 0, false
}
