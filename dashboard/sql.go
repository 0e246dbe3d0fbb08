package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"commonground/warehouse"
)

// newSandbox locks the database down for untrusted SQL (no file access
// outside the export directory, configuration locked) and returns the
// sandbox /sql and /api/sql run in. Without an export directory a private
// one is made for Parquet downloads.
func newSandbox(opts warehouse.SandboxOptions, db *warehouse.DB) (*warehouse.Sandbox, error) {
	if opts.ExportDir == "" && !db.ReadOnly() {
		d, err := warehouse.NewExportDir()
		if err != nil {
			return nil, err
		}
		opts.ExportDir = d
	}
	if err := db.Lockdown(context.Background(), opts.ExportDir); err != nil {
		return nil, fmt.Errorf("SQL sandbox: %w", err)
	}
	return warehouse.NewSandbox(db, opts), nil
}

// maxSQLBody bounds a POSTed query (the sandbox's own limit is lower, so
// an over-long query still gets its clear message).
const maxSQLBody = 1 << 20

// sqlText reads the query from ?q= or, for POST, a form field q, a JSON
// body {"q": ...} or a text/plain body.
func sqlText(c echo.Context) (string, error) {
	req := c.Request()
	if req.Method != http.MethodPost {
		return c.QueryParam("q"), nil
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxSQLBody)
	ct := req.Header.Get(echo.HeaderContentType)
	switch {
	case strings.HasPrefix(ct, echo.MIMEApplicationJSON):
		var body struct {
			Q string `json:"q"`
		}
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			return "", echo.NewHTTPError(http.StatusBadRequest, `Send JSON like {"q": "SELECT …"}.`).WithInternal(err)
		}
		return body.Q, nil
	case strings.HasPrefix(ct, echo.MIMETextPlain):
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return "", echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The query is too long.").WithInternal(err)
		}
		return string(b), nil
	}
	if err := req.ParseForm(); err != nil {
		return "", echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The query is too long.").WithInternal(err)
	}
	return req.PostForm.Get("q"), nil
}

// sqlResponse is the JSON answer of /api/sql.
type sqlResponse struct {
	Columns   []warehouse.ResultColumn `json:"columns"`
	Rows      [][]any                  `json:"rows"`
	RowCount  int64                    `json:"row_count"`
	Truncated bool                     `json:"truncated"`
	ElapsedMS float64                  `json:"elapsed_ms"`
	RowLimit  int                      `json:"row_limit"`
	TimeoutMS int64                    `json:"timeout_ms"`
	// Cached is true when the same query already ran on the same data.
	Cached bool `json:"cached"`
}

// apiSQL is GET/POST /api/sql?q=…&format=json|csv|parquet|geojson. JSON
// (the default) gives the first rows with the total; the other formats,
// and json with download=1, stream the whole result as a file.
func (s *Server) apiSQL(c echo.Context) error {
	q, err := sqlText(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = c.FormValue("format")
	}
	if format == "" {
		format = "json"
	}
	if format != "json" || c.QueryParam("download") == "1" {
		return s.streamResult(c, q, nil, format, "query")
	}
	res, cached, err := s.preview(c.Request().Context(), q)
	if err != nil {
		return sqlError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	out := toSQLResponse(res, s.sandbox.Options())
	out.Cached = cached
	return c.JSON(http.StatusOK, out)
}

// sqlCache keeps small displayed results by query text for the current
// warehouse version: the console's examples are run by many people and
// the data only changes on a load or a new custom area. Big results are
// never kept; the whole cache is bounded and starts again when full.
type sqlCache struct {
	mu      sync.Mutex
	version string
	checked time.Time
	items   map[string]*warehouse.Result
	bytes   int
	// running queries: people asking the same thing at once share one run.
	running map[string]*sqlCall
}

type sqlCall struct {
	done chan struct{}
	res  *warehouse.Result
	err  error
}

const (
	sqlCacheTTL      = 2 * time.Second // how often the warehouse version is re-read
	maxCachedResult  = 256 << 10
	maxSQLCacheBytes = 16 << 20
)

var sqlCaches sync.Map // *Server → *sqlCache (kept out of Server to keep this file self-contained)

// preview runs q for display, from the cache when the same query already
// ran on the same data.
func (s *Server) preview(ctx context.Context, q string) (*warehouse.Result, bool, error) {
	v, _ := sqlCaches.LoadOrStore(s, &sqlCache{})
	sc := v.(*sqlCache)
	sc.mu.Lock()
	stale := time.Since(sc.checked) > sqlCacheTTL
	sc.mu.Unlock()
	if stale {
		ver, err := s.dataVersion(ctx)
		if err != nil {
			return nil, false, err
		}
		sc.mu.Lock()
		if ver != sc.version {
			sc.version, sc.items, sc.bytes = ver, nil, 0
		}
		sc.checked = time.Now()
		sc.mu.Unlock()
	}
	sc.mu.Lock()
	if r, ok := sc.items[q]; ok {
		sc.mu.Unlock()
		cp := *r
		cp.Elapsed = 0
		return &cp, true, nil
	}
	if call, ok := sc.running[q]; ok {
		sc.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
		if call.err != nil {
			return nil, false, call.err
		}
		cp := *call.res
		return &cp, true, nil
	}
	call := &sqlCall{done: make(chan struct{})}
	if sc.running == nil {
		sc.running = map[string]*sqlCall{}
	}
	sc.running[q] = call
	ver := sc.version
	sc.mu.Unlock()
	// The shared run must not die with the first asker's request.
	res, err := s.sandbox.Preview(context.WithoutCancel(ctx), q)
	call.res, call.err = res, err
	sc.mu.Lock()
	delete(sc.running, q)
	if err == nil && res.Bytes <= maxCachedResult && sc.version == ver {
		if sc.items == nil || sc.bytes+res.Bytes > maxSQLCacheBytes {
			sc.items, sc.bytes = map[string]*warehouse.Result{}, 0
		}
		sc.items[q] = res
		sc.bytes += res.Bytes + len(q)
	}
	sc.mu.Unlock()
	close(call.done)
	if err != nil {
		return nil, false, err
	}
	return res, false, nil
}

func toSQLResponse(res *warehouse.Result, opts warehouse.SandboxOptions) sqlResponse {
	rows := res.Rows
	if rows == nil {
		rows = [][]any{}
	}
	return sqlResponse{Columns: res.Columns, Rows: rows, RowCount: res.Total, Truncated: res.Truncated,
		ElapsedMS: float64(res.Elapsed.Microseconds()) / 1000, RowLimit: opts.MaxRows, TimeoutMS: opts.Timeout.Milliseconds()}
}

// sqlExample is a starting query on the console, in plain words.
type sqlExample struct{ Title, About, SQL string }

// sqlExamples are questions a community worker might ask. They use the
// tables as loaded by `make real-data` (Trafford is E08000009).
var sqlExamples = []sqlExample{
	{"The most deprived neighbourhoods in Trafford", "Neighbourhoods (LSOAs) by the 2019 Index of Multiple Deprivation; rank 1 is the most deprived in England.",
		"SELECT lsoa_code, lsoa_name, imd_rank, imd_decile\nFROM imd\nWHERE edition = 2019 AND lad_name = 'Trafford'\nORDER BY imd_rank\nLIMIT 20"},
	{"Which councils have the most neighbourhoods in England’s most deprived 10%", "A count for each local authority, 2019 index.",
		"SELECT lad_name,\n       count(*) FILTER (WHERE imd_decile = 1) AS most_deprived_10pct,\n       count(*) AS neighbourhoods\nFROM imd\nWHERE edition = 2019\nGROUP BY lad_name\nORDER BY most_deprived_10pct DESC\nLIMIT 20"},
	{"Who councils pay the most", "The 20 biggest suppliers in the loaded council spending files.",
		"SELECT council_name, supplier_name, sum(amount) AS total_pounds, count(*) AS payments\nFROM spending\nGROUP BY council_name, supplier_name\nORDER BY total_pounds DESC\nLIMIT 20"},
	{"Council spending month by month", "Total payments per council per month.",
		"SELECT council_name, date_trunc('month', payment_date)::DATE AS month, sum(amount) AS total_pounds\nFROM spending\nGROUP BY ALL\nORDER BY council_name, month"},
	{"GP practices and pharmacies in each Trafford ward", "Open services placed in wards by their location.",
		"SELECT a.name AS ward,\n       count(*) FILTER (WHERE s.category = 'gp_practice') AS gp_practices,\n       count(*) FILTER (WHERE s.category = 'pharmacy') AS pharmacies\nFROM services s JOIN areas a ON a.code = s.ward_code\nWHERE s.status = 'open' AND s.lad_code = 'E08000009'\nGROUP BY a.name\nORDER BY a.name"},
	{"Who gives grants, and how much", "Funders in the loaded 360Giving data.",
		"SELECT funding_org_name, count(*) AS grants, sum(amount_awarded) AS total_pounds\nFROM grants\nGROUP BY funding_org_name\nORDER BY total_pounds DESC\nLIMIT 20"},
	{"Trafford’s wards with their boundaries", "Download as GeoJSON to open in a map tool such as QGIS or geojson.io.",
		"SELECT code, name, population, geometry\nFROM areas\nWHERE level = 'ward' AND lad_code = 'E08000009'\nORDER BY name"},
	{"Services in Trafford with their locations", "Points with lon and lat: download as GeoJSON for a map.",
		"SELECT name, category, postcode, lon, lat\nFROM services\nWHERE lad_code = 'E08000009' AND status = 'open'\nORDER BY category, name"},
	{"What data is loaded", "Every dataset in the catalogue, who publishes it and its licence.",
		"SELECT id, title, publisher, licence\nFROM datasets\nORDER BY id"},
}

type sqlColumnView struct {
	Name, Type string
	Numeric    bool
}

type sqlCellView struct {
	Text          string
	Null, Numeric bool
}

type sqlResultView struct {
	Columns   []sqlColumnView
	Rows      [][]sqlCellView
	Total     int64
	Shown     int
	Truncated bool
	Elapsed   string
	Downloads []struct{ Label, URL string }
	Permalink string
}

// sqlPage is GET /sql: the console. It works without JavaScript: the form
// is a GET with ?q=, run and rendered here, so every result has a link.
func (s *Server) sqlPage(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParam("q")
	opts := s.sandbox.Options()
	data := map[string]any{"Query": q, "Timeout": humanDuration(opts.Timeout), "DownloadTimeout": humanDuration(opts.DownloadTimeout),
		"MaxRows": opts.MaxRows}
	examples := make([]map[string]string, len(sqlExamples))
	for i, e := range sqlExamples {
		examples[i] = map[string]string{"Title": e.Title, "About": e.About, "URL": "/sql?q=" + url.QueryEscape(e.SQL)}
	}
	data["Examples"] = examples
	tables, err := s.db.Tables(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	views, err := s.sqlViews(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	// Tables the console refuses are not offered (their views are).
	tables = slices.DeleteFunc(tables, func(t warehouse.Table) bool { return warehouse.PrivateTables[t.Name] != "" })
	data["Tables"] = append(tables, views...)
	status := http.StatusOK
	if strings.TrimSpace(q) != "" {
		res, _, err := s.preview(ctx, q)
		if err != nil {
			he, ok := sqlError(c, err).(*echo.HTTPError)
			if !ok || he.Code >= 500 {
				return err
			}
			status = he.Code
			data["Error"] = he.Message
			data["Busy"] = he.Code == http.StatusTooManyRequests
		} else {
			data["Result"] = resultView(res, q)
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Render(status, "sql", page{Title: "SQL console", Description: "Query the open data behind Commonground with SQL, read-only, and download the results.", Data: data})
}

func resultView(res *warehouse.Result, q string) sqlResultView {
	v := sqlResultView{Total: res.Total, Shown: len(res.Rows), Truncated: res.Truncated,
		Elapsed: humanDuration(res.Elapsed), Permalink: "/sql?q=" + url.QueryEscape(q)}
	geo := false
	hasLon, hasLat := false, false
	for _, c := range res.Columns {
		numeric := isNumericType(c.Type)
		v.Columns = append(v.Columns, sqlColumnView{Name: c.Name, Type: c.Type, Numeric: numeric})
		n := strings.ToLower(c.Name)
		switch {
		case (n == "geometry" || n == "geom") && c.Type == "BLOB":
			geo = true
		case n == "lon" || n == "longitude" || n == "lng":
			hasLon = true
		case n == "lat" || n == "latitude":
			hasLat = true
		}
	}
	for _, row := range res.Rows {
		cells := make([]sqlCellView, len(row))
		for i, x := range row {
			cells[i] = sqlCellView{Null: x == nil, Numeric: i < len(v.Columns) && v.Columns[i].Numeric, Text: cellText(x)}
		}
		v.Rows = append(v.Rows, cells)
	}
	base := "/api/sql?q=" + url.QueryEscape(q) + "&format="
	v.Downloads = append(v.Downloads, struct{ Label, URL string }{"CSV", base + "csv"},
		struct{ Label, URL string }{"JSON", base + "json&download=1"}, struct{ Label, URL string }{"Parquet", base + "parquet"})
	if geo || (hasLon && hasLat) {
		v.Downloads = append(v.Downloads, struct{ Label, URL string }{"GeoJSON", base + "geojson"})
	}
	return v
}

func isNumericType(t string) bool {
	switch {
	case strings.HasPrefix(t, "DECIMAL"), strings.HasSuffix(t, "INT") && !strings.HasSuffix(t, "[]"):
		return true
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return false
}

func cellText(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case []any, map[string]any:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(x)
}

// humanDuration is "1 second", "30 seconds", "250 ms".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d == time.Second:
		return "1 second"
	case d%time.Second == 0:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	}
	return fmt.Sprintf("%.1f seconds", d.Seconds())
}

// sqlViews lists the store's views (area_lsoas, supplier_places, …) with
// their columns, for the schema browser; warehouse.Tables lists only
// tables. A view's name is marked "(view)" in its comment.
func (s *Server) sqlViews(ctx context.Context) ([]warehouse.Table, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `
		SELECT v.view_name, coalesce(v.comment, ''), c.column_name, c.data_type, coalesce(c.comment, '')
		FROM duckdb_views() v JOIN duckdb_columns() c ON c.database_name = v.database_name AND c.schema_name = v.schema_name AND c.table_name = v.view_name
		WHERE v.database_name = 'store' AND v.schema_name = 'main' AND NOT v.internal
		ORDER BY v.view_name, c.column_index`)
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	defer rows.Close()
	var out []warehouse.Table
	for rows.Next() {
		var name, comment string
		var c warehouse.Column
		if err := rows.Scan(&name, &comment, &c.Name, &c.Type, &c.Comment); err != nil {
			return nil, fmt.Errorf("list views: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, warehouse.Table{Name: name, Comment: strings.TrimSpace("View. " + comment)})
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, c)
	}
	return out, rows.Err()
}
