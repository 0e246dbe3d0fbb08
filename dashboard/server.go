// Package dashboard serves Commonground to people: area profiles, sources,
// search and the JSON API, rendered on the server so the pages work without
// JavaScript.
package dashboard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"commonground/queries"
	"commonground/warehouse"
)

// Config configures the dashboard.
type Config struct {
	// BaseURL is the public address used in permalinks ("" = from the request).
	BaseURL string
	Logger  *slog.Logger
	Version string
	// AddCustomArea, when set, lets people upload their own area at
	// /areas/new; nil turns uploads off.
	AddCustomArea AddCustomArea
	// BasemapURL is an optional MapLibre style URL drawn under the map
	// explorer's layers. Empty (the default) means no basemap: a plain
	// background with area outlines, and no request leaves the server.
	// Setting it also lets the /map page's CSP reach that origin.
	BasemapURL string
	// SQL sets the limits of the public SQL console and /api/sql (sql.go);
	// zero values take the sandbox defaults. New locks the database down.
	SQL warehouse.SandboxOptions
	// PageDir is where area profiles, once drawn, are kept on disk for the
	// data version (pagestore.go); "" keeps them only in memory.
	PageDir string
}

// Server is the dashboard's http.Handler. It is safe for concurrent use.
type Server struct {
	cfg    Config
	db     *warehouse.DB
	cat    *queries.Catalog
	log    *slog.Logger
	echo   *echo.Echo
	views  *views
	static *staticFiles
	tiles  *tileServer
	// sandbox runs untrusted SQL for /sql and /api/sql (sql.go).
	sandbox *warehouse.Sandbox
	prof    profileCache // area profile sections per data version (profile_cache.go)
	// recipes are the saved queries, prepared at start-up (recipes.go).
	recipes *queries.RecipeBook
	ready   atomic.Bool // start-up warming done (warm.go)
	// pages keeps drawn profiles on disk (pagestore.go, prerender.go);
	// build names this build in its fingerprint.
	pages       *pageStore
	build       string
	pageErrOnce sync.Once
	prerender   prerenderState
	prerenderMu sync.Mutex
	// inflight counts requests being served; Prerender waits for none.
	inflight atomic.Int64

	defaultStateOnce sync.Once
	defaultState     string // the profile map's default indicator|services

	mapIndsOnce sync.Once
	mapInds     []queries.Indicator // see mapIndicators
}

// New parses the templates and hashes the static files, failing if any is
// missing or broken. cat may be nil (no indicators).
func New(cfg Config, db *warehouse.DB, cat *queries.Catalog) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	st, err := loadStatic()
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	v, err := loadViews(st)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	s := &Server{cfg: cfg, db: db, cat: cat, log: cfg.Logger, views: v, static: st, tiles: newTileServer(db, cfg.Logger),
		pages: newPageStore(cfg.PageDir, cfg.Logger), build: buildIdentity(st)}
	if s.recipes, err = loadRecipes(db); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if s.sandbox, err = newSandbox(cfg.SQL, db); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = v
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(s.logRequests)
	e.Use(securityHeaders)
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024,
		Skipper: func(c echo.Context) bool {
			// Tiles come gzipped; area profiles are cached gzipped (profile_cache.go).
			return len(c.Path()) >= 6 && c.Path()[:6] == "/tiles" || c.Path() == "/areas/:code"
		}}))
	s.echo = e
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// securityHeaders sets a strict CSP (no inline scripts or styles) and the
// usual hardening headers.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "+
			"worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
		return next(c)
	}
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if p := c.Request().URL.Path; p != "/readyz" && p != "/healthz" {
			s.inflight.Add(1)
			defer s.inflight.Add(-1)
		}
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 && req.URL.Path != "/readyz" { // 503 there means warming up
			level = slog.LevelError
		}
		s.log.Log(req.Context(), level, "request", slog.Group("request", "method", req.Method, "path", req.URL.Path,
			"status", res.Status, "bytes", res.Size, "duration_ms", time.Since(start).Milliseconds()))
		return nil
	}
}

// handleError renders errors as pages (or JSON under /api), logging the
// internal cause once.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "Something went wrong on our side. Please try again."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		if he.Internal != nil && code >= 500 {
			s.log.Error("handler failed", "path", c.Request().URL.Path, "err", he.Internal)
		}
	} else {
		s.log.Error("handler failed", "path", c.Request().URL.Path, "err", err)
	}
	if isAPI(c) {
		c.JSON(code, map[string]any{"error": msg, "status": code})
		return
	}
	c.Render(code, "error", page{Title: http.StatusText(code), Data: map[string]any{"Code": code, "Message": msg}})
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return len(p) >= 5 && p[:5] == "/api/"
}
