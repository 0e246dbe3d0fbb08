package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

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
	res, err := s.sandbox.Preview(c.Request().Context(), q)
	if err != nil {
		return sqlHTTPError(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, toSQLResponse(res, s.sandbox.Options()))
}

func toSQLResponse(res *warehouse.Result, opts warehouse.SandboxOptions) sqlResponse {
	rows := res.Rows
	if rows == nil {
		rows = [][]any{}
	}
	return sqlResponse{Columns: res.Columns, Rows: rows, RowCount: res.Total, Truncated: res.Truncated,
		ElapsedMS: float64(res.Elapsed.Microseconds()) / 1000, RowLimit: opts.MaxRows, TimeoutMS: opts.Timeout.Milliseconds()}
}
