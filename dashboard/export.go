package dashboard

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"commonground/queries"
	"commonground/warehouse"
)

// GET /api/export/{table}?format=csv|json|parquet|geojson streams a whole
// warehouse table through the shared result writers, with the filters that
// make sense for it. Only the tables below can be exported: the ingest
// bookkeeping tables (ingest_runs, ingest_files, ingest_rejects) name files
// on the server and hold raw rejected values, and schema_version is
// internal, so they are left out. Every filter is a bound parameter; the
// SQL is built only from the constant fragments here and from indicator
// ids checked against the catalogue.

// withinLSOAs is the LSOAs (of any vintage) making up the area $within.
const withinLSOAs = `(SELECT lsoa_code FROM area_lsoas WHERE area_code = $within)`

// exportTable is one exportable table: its filters (query parameter ->
// SQL condition using $parameter). Rows come in storage order: an ORDER BY
// would make DuckDB sort the whole table in memory before the first row
// goes out.
type exportTable struct {
	filters map[string]string
	from    string // the FROM clause, when the table has an alias
	// pageRows is how many rowids a page spans (default 50,000); areas
	// carry boundaries, so their pages are smaller.
	pageRows int64
}

var exportTables = map[string]exportTable{
	"areas": {filters: map[string]string{
		"level": "a.level = $level",
		// An area is within when one of its LSOAs is: areas straddling
		// the boundary are included whole, as in the indicator values.
		"within": `(a.code IN ` + withinLSOAs + ` OR a.code IN (SELECT area_code FROM area_lsoas WHERE lsoa_code IN ` + withinLSOAs + `))`,
	}, from: "areas AS a", pageRows: 2000},
	"area_members": {filters: map[string]string{"within": "area_code = $within"}},
	"imd":          {filters: map[string]string{"within": "lsoa_code IN " + withinLSOAs, "edition": "edition = $edition::INTEGER"}},
	"population":   {filters: map[string]string{"within": "(area_code IN " + withinLSOAs + " OR area_code = $within)"}},
	"services": {filters: map[string]string{"within": "(lsoa11_code IN " + withinLSOAs + " OR lsoa21_code IN " + withinLSOAs + ")",
		"category": "category = $category"}},
	"spending":             {filters: map[string]string{"council": "council_code = $council"}},
	"grants":               {filters: map[string]string{"within": "(lad_code = $within OR ward_code = $within OR lsoa21_code IN " + withinLSOAs + ")"}},
	"postcodes":            {filters: map[string]string{"within": "(lsoa21_code IN " + withinLSOAs + " OR lsoa11_code IN " + withinLSOAs + ")"}},
	"lookup_lsoa_ward_lad": {},
	"lookup_oa":            {},
	"datasets":             {},
}

func exportTableNames() []string {
	var out []string
	for n := range exportTables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var exportFilterValue = regexp.MustCompile(`^[A-Za-z0-9_ .-]{1,64}$`)

// exportPlan builds the SQL and arguments for an export, or an error to
// show (an *echo.HTTPError).
//
// The query's WHERE clause is left open so that a page condition on the
// returned rowid column can be appended (see streamExport).
func (s *Server) exportPlan(c echo.Context, name, format string) (string, []any, string, error) {
	t, ok := exportTables[name]
	if !ok {
		return "", nil, "", echo.NewHTTPError(http.StatusNotFound, "There is no exportable table \""+name+"\". Tables: "+strings.Join(exportTableNames(), ", ")+".")
	}
	var conds []string
	var args []any
	usedWithin := false
	for key, vals := range c.QueryParams() {
		if key == "format" || key == "indicators" {
			continue
		}
		cond, ok := t.filters[key]
		if !ok {
			var have []string
			for k := range t.filters {
				have = append(have, k)
			}
			sort.Strings(have)
			msg := "The " + name + " table takes no filter \"" + key + "\""
			if len(have) > 0 {
				msg += " (it takes: " + strings.Join(have, ", ") + ")"
			}
			return "", nil, "", echo.NewHTTPError(http.StatusBadRequest, msg+".")
		}
		v := strings.TrimSpace(vals[0])
		if !exportFilterValue.MatchString(v) {
			return "", nil, "", echo.NewHTTPError(http.StatusBadRequest, "The filter \""+key+"\" needs a code or a short value (letters, digits, _ . -).")
		}
		if key == "edition" {
			if _, err := strconv.Atoi(v); err != nil {
				return "", nil, "", echo.NewHTTPError(http.StatusBadRequest, "The filter \"edition\" is a year: 2019 or 2025.")
			}
		}
		if key == "within" || key == "council" {
			v = strings.ToUpper(v)
			usedWithin = usedWithin || key == "within"
		}
		if key == "level" && !slices.Contains([]string{"lsoa11", "lsoa21", "ward", "msoa21", "lad", "custom"}, v) {
			return "", nil, "", echo.NewHTTPError(http.StatusBadRequest, "The level \""+v+"\" is not one of lsoa11, lsoa21, ward, msoa21, lad, custom.")
		}
		if key == "within" {
			// A mistyped code would otherwise export nothing, silently.
			var n int
			if err := s.db.SQL().QueryRowContext(c.Request().Context(), `SELECT count(*) FROM (SELECT 1 FROM areas WHERE code = $1 UNION ALL
				SELECT 1 FROM area_lsoas WHERE area_code = $1 LIMIT 1)`, v).Scan(&n); err != nil {
				return "", nil, "", echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
			}
			if n == 0 {
				return "", nil, "", echo.NewHTTPError(http.StatusNotFound, "There is no area with the code \""+v+"\" (within takes an area code such as E08000009).")
			}
		}
		conds = append(conds, cond)
		args = append(args, sql.Named(key, v))
	}
	sort.Strings(conds) // a stable text for the same request
	from := warehouse.QuoteIdent(name)
	cols := "*"
	if t.from != "" {
		from, cols = t.from, "a.*"
	}
	if ids := strings.TrimSpace(c.QueryParam("indicators")); ids != "" {
		if name != "areas" {
			return "", nil, "", echo.NewHTTPError(http.StatusBadRequest, "indicators can be added only to the areas table.")
		}
		level := c.QueryParam("level")
		if level == "" {
			return "", nil, "", echo.NewHTTPError(http.StatusBadRequest, "Adding indicators needs a level (for example level=lsoa11).")
		}
		within := ""
		if usedWithin {
			within = strings.ToUpper(strings.TrimSpace(c.QueryParam("within")))
		}
		joins, extra, iargs, err := s.indicatorColumns(c, strings.Split(ids, ","), level, within)
		if err != nil {
			return "", nil, "", err
		}
		from += joins
		cols = "a.*" + extra
		args = append(args, iargs...)
	}
	// Boundaries as hex in a spreadsheet help nobody: CSV and JSON leave
	// them out (GeoJSON and Parquet keep them).
	if name == "areas" && (format == "csv" || format == "json") {
		cols = strings.Replace(cols, "*", "* EXCLUDE (geometry)", 1)
	}
	rowid := "rowid"
	if t.from != "" {
		rowid = "a.rowid"
	}
	q := "SELECT " + cols + " FROM " + from + " WHERE true"
	if len(conds) > 0 {
		q += " AND " + strings.Join(conds, " AND ")
	}
	return q, args, rowid, nil
}

// indicatorColumns computes each indicator for the level (within an area)
// and joins the values in as columns named by the indicator id. Values go
// in as two bound text parameters per indicator (codes and values, split
// and unnested in step), never as SQL text.
func (s *Server) indicatorColumns(c echo.Context, ids []string, level, within string) (joins, cols string, args []any, err error) {
	if s.cat == nil {
		return "", "", nil, echo.NewHTTPError(http.StatusServiceUnavailable, "Indicators are not available.")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if len(seen) > 20 {
			return "", "", nil, echo.NewHTTPError(http.StatusBadRequest, "Add at most 20 indicators at a time.")
		}
		ind, err := s.cat.Indicator(id)
		if err != nil {
			return "", "", nil, echo.NewHTTPError(http.StatusNotFound, "There is no indicator \""+id+"\"; see /api/indicators.")
		}
		vals, err := s.cat.Values(c.Request().Context(), s.db, ind.ID, level, within)
		if err != nil {
			if errors.Is(err, queries.ErrNotFound) || errors.Is(err, queries.ErrNotAvailable) {
				return "", "", nil, echo.NewHTTPError(http.StatusBadRequest, err.Error())
			}
			return "", "", nil, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		var codes, nums strings.Builder
		n := 0
		for _, v := range vals {
			if v.Status != queries.StatusOK {
				continue
			}
			if n > 0 {
				codes.WriteByte(',')
				nums.WriteByte(',')
			}
			codes.WriteString(v.Area.Code)
			nums.WriteString(strconv.FormatFloat(v.Value, 'g', -1, 64))
			n++
		}
		alias := "i" + strconv.Itoa(i)
		cp, vp := alias+"_codes", alias+"_values"
		// nullif: an indicator with no values is no rows, not one empty one.
		joins += " LEFT JOIN (SELECT unnest(string_split(nullif($" + cp + "::VARCHAR, ''), ',')) AS code, unnest(string_split(nullif($" + vp +
			"::VARCHAR, ''), ','))::DOUBLE AS value) AS " + alias + " ON " + alias + ".code = a.code"
		// The id matched the catalogue's pattern ^[a-z][a-z0-9_]*$.
		cols += ", " + alias + ".value AS " + warehouse.QuoteIdent(ind.ID)
		args = append(args, sql.Named(cp, codes.String()), sql.Named(vp, nums.String()))
	}
	return joins, cols, args, nil
}

func (s *Server) apiExport(c echo.Context) error {
	name := c.Param("table")
	format := strings.ToLower(c.QueryParam("format"))
	if format == "" {
		format = "csv"
	}
	switch format {
	case "csv", "json", "parquet", "geojson":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown format \""+format+"\": use csv, json, parquet or geojson.")
	}
	q, args, rowid, err := s.exportPlan(c, name, format)
	if err != nil {
		return err
	}
	filename := name
	if l := c.QueryParam("level"); l != "" && exportFilterValue.MatchString(l) {
		filename += "-" + l
	}
	if w := c.QueryParam("within"); w != "" && exportFilterValue.MatchString(w) {
		filename += "-" + strings.ToUpper(w)
	}
	switch {
	case format == "parquet":
		// DuckDB's own COPY writes the file in bounded memory.
		return s.streamResult(c, q, args, format, filename)
	case format == "csv" && s.sandbox.Options().ExportDir != "":
		return s.copyCSV(c, q, args, filename)
	}
	return s.streamExport(c, name, q, rowid, args, format, filename)
}

// copyCSV has DuckDB write the CSV (its writer is parallel and several
// times faster than converting row by row in Go) into the server's private
// export directory, then sends the file and deletes it. Memory stays
// bounded: DuckDB streams the rows into the file. PRESERVE_ORDER false
// because keeping the table's order makes DuckDB hold back whole batches
// that finish early (about 100 MB more for a million rows, measured), so
// CSV rows come in no particular order. The query is built by exportPlan
// from constant fragments and bound parameters only.
func (s *Server) copyCSV(c echo.Context, q string, args []any, filename string) error {
	select {
	case exportSlots <- struct{}{}:
		defer func() { <-exportSlots }()
	default:
		return echo.NewHTTPError(http.StatusTooManyRequests, "Too many exports are running; please try again in a minute.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.sandbox.Options().DownloadTimeout)
	defer cancel()
	var rnd [12]byte
	rand.Read(rnd[:])
	path := filepath.Join(s.sandbox.Options().ExportDir, "export-"+hex.EncodeToString(rnd[:])+".csv")
	defer os.Remove(path)
	conn, err := s.db.SQL().Conn(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "COPY ("+q+") TO "+warehouse.QuoteString(path)+" (FORMAT csv, HEADER, PRESERVE_ORDER false)", args...); err != nil {
		if ctx.Err() != nil {
			return echo.NewHTTPError(http.StatusRequestTimeout, "The export took too long; add a filter (within, level, council) to make it smaller.").WithInternal(err)
		}
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	tx.Rollback()
	conn.Close() // the file is written: let the connection go while it is sent
	setAttachment(c, safeFilename(filename)+".csv", resultFormats["csv"].mediaType)
	return c.File(path)
}

// exportSlots bounds concurrent table exports (each holds a connection
// for as long as the client takes to read).
var exportSlots = make(chan struct{}, 2)

// streamExport writes a table export page by page. duckdb-go materialises
// every result in full before the first row can be read, so one query
// over a million rows holds them all in memory; instead the rows are read
// in rowid ranges of pageRows, each its own small result, all inside one
// read-only transaction so every page sees the same version of the data.
// The encoders are the shared ones of resultwriter.go.
func (s *Server) streamExport(c echo.Context, table, q, rowid string, args []any, format, filename string) error {
	f, ok := resultFormats[format]
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown format "+strconv.Quote(format)+": use csv, json, parquet or geojson.")
	}
	select {
	case exportSlots <- struct{}{}:
		defer func() { <-exportSlots }()
	default:
		return echo.NewHTTPError(http.StatusTooManyRequests, "Too many exports are running; please try again in a minute.")
	}
	page := exportTables[table].pageRows
	if page <= 0 {
		page = 50000
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.sandbox.Options().DownloadTimeout)
	defer cancel()
	conn, err := s.db.SQL().Conn(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer conn.Close()
	// Never committed: the export only reads.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	defer tx.Rollback()
	var lo, hi sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT min(rowid), max(rowid) FROM "+warehouse.QuoteIdent(table)).Scan(&lo, &hi); err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	paged := q + " AND " + rowid + " >= $page_lo AND " + rowid + " < $page_hi"
	if strings.Contains(q, " JOIN ") {
		// A join may reorder a page; a plain scan keeps storage order.
		paged += " ORDER BY " + rowid
	}
	var enc rowEncoder
	var w *bufio.Writer
	var vals, ptrs []any
	start := func(cols []*sql.ColumnType) error {
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
		setAttachment(c, safeFilename(filename)+"."+f.ext, f.mediaType)
		c.Response().WriteHeader(http.StatusOK)
		w = bufio.NewWriterSize(c.Response(), 64<<10)
		vals, ptrs = make([]any, len(cols)), make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		return enc.begin(w, cols)
	}
	// An empty table still gets its header: one page that matches nothing.
	if !lo.Valid {
		lo.Int64, hi.Int64 = 0, -1
	}
	for from := lo.Int64; from <= hi.Int64 || enc == nil; from += page {
		pargs := append(append([]any{}, args...), sql.Named("page_lo", from), sql.Named("page_hi", from+page))
		rows, err := tx.QueryContext(ctx, paged, pargs...)
		if err != nil {
			if w != nil {
				return s.abortExport(w, err)
			}
			return sqlHTTPError(err)
		}
		if enc == nil {
			cols, err := rows.ColumnTypes()
			if err == nil {
				err = start(cols)
			}
			if err != nil {
				rows.Close()
				return sqlHTTPError(err)
			}
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return s.abortExport(w, err)
			}
			if err := enc.row(w, vals); err != nil {
				rows.Close()
				return s.abortExport(w, err)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return s.abortExport(w, err)
		}
	}
	if err := enc.end(w); err != nil {
		return s.abortExport(w, err)
	}
	return w.Flush()
}

// abortExport ends a response that is already under way visibly broken,
// rather than looking complete.
func (s *Server) abortExport(w *bufio.Writer, err error) error {
	s.log.Warn("export stopped part way", "err", err)
	fmt.Fprintf(w, "\n\nERROR: the download stopped before the end; please try again.\n")
	w.Flush()
	return nil
}
