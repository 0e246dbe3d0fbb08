package dashboard

import (
	"database/sql"
	"errors"
	"net/http"
	"regexp"
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
// SQL condition using $parameter) and its order.
type exportTable struct {
	filters map[string]string
	order   string
	from    string // the FROM clause, when the table has an alias
}

var exportTables = map[string]exportTable{
	"areas": {filters: map[string]string{
		"level": "a.level = $level",
		// An area is within when one of its LSOAs is: areas straddling
		// the boundary are included whole, as in the indicator values.
		"within": `(a.code IN ` + withinLSOAs + ` OR a.code IN (SELECT area_code FROM area_lsoas WHERE lsoa_code IN ` + withinLSOAs + `))`,
	}, order: "a.level, a.code, a.vintage", from: "areas AS a"},
	"area_members": {filters: map[string]string{"within": "area_code = $within"}, order: "area_code, lsoa_vintage, lsoa_code"},
	"imd": {filters: map[string]string{"within": "lsoa_code IN " + withinLSOAs, "edition": "edition = $edition::INTEGER"},
		order: "edition, lsoa_code"},
	"population": {filters: map[string]string{"within": "(area_code IN " + withinLSOAs + " OR area_code = $within)"},
		order: "dataset, area_code, year, sex, age_min"},
	"services": {filters: map[string]string{"within": "(lsoa11_code IN " + withinLSOAs + " OR lsoa21_code IN " + withinLSOAs + ")",
		"category": "category = $category"}, order: "category, id"},
	"spending":             {filters: map[string]string{"council": "council_code = $council"}, order: "council_code, source_file, source_line"},
	"grants":               {filters: map[string]string{"within": "(lad_code = $within OR ward_code = $within OR lsoa21_code IN " + withinLSOAs + ")"}, order: "award_date, identifier"},
	"postcodes":            {filters: map[string]string{"within": "(lsoa21_code IN " + withinLSOAs + " OR lsoa11_code IN " + withinLSOAs + ")"}, order: "postcode_key"},
	"lookup_lsoa_ward_lad": {order: "lsoa_vintage, lsoa_code, ward_vintage"},
	"lookup_oa":            {order: "oa_vintage, oa_code"},
	"datasets":             {order: "id"},
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

// exportQuery builds the SQL and arguments for an export, or an error to
// show (an *echo.HTTPError).
func (s *Server) exportQuery(c echo.Context, name, format string) (string, []any, error) {
	t, ok := exportTables[name]
	if !ok {
		return "", nil, echo.NewHTTPError(http.StatusNotFound, "There is no exportable table \""+name+"\". Tables: "+strings.Join(exportTableNames(), ", ")+".")
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
			return "", nil, echo.NewHTTPError(http.StatusBadRequest, msg+".")
		}
		v := strings.TrimSpace(vals[0])
		if !exportFilterValue.MatchString(v) {
			return "", nil, echo.NewHTTPError(http.StatusBadRequest, "The filter \""+key+"\" needs a code or a short value (letters, digits, _ . -).")
		}
		if key == "edition" {
			if _, err := strconv.Atoi(v); err != nil {
				return "", nil, echo.NewHTTPError(http.StatusBadRequest, "The filter \"edition\" is a year: 2019 or 2025.")
			}
		}
		if key == "within" || key == "council" {
			v = strings.ToUpper(v)
			usedWithin = usedWithin || key == "within"
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
			return "", nil, echo.NewHTTPError(http.StatusBadRequest, "indicators can be added only to the areas table.")
		}
		level := c.QueryParam("level")
		if level == "" {
			return "", nil, echo.NewHTTPError(http.StatusBadRequest, "Adding indicators needs a level (for example level=lsoa11).")
		}
		within := ""
		if usedWithin {
			within = strings.ToUpper(strings.TrimSpace(c.QueryParam("within")))
		}
		joins, extra, iargs, err := s.indicatorColumns(c, strings.Split(ids, ","), level, within)
		if err != nil {
			return "", nil, err
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
	q := "SELECT " + cols + " FROM " + from
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q + " ORDER BY " + t.order, args, nil
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
	q, args, err := s.exportQuery(c, name, format)
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
	return s.recipeDownload(c, q, args, format, filename)
}
