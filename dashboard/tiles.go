package dashboard

// Vector tiles: GET /tiles/{layer}/{z}/{x}/{y}.mvt.
//
// Each layer's geometry is read from the warehouse once per data version,
// kept in memory with an R-tree over the feature bounds, and cut into
// Mapbox Vector Tiles (spec v2) on request: clone, project to the tile,
// clip, simplify, drop what became empty, gzip (docs in
// /work/shared/STACK.md §5). Finished tiles go into a bounded LRU cache.
//
// The data version is max(run_id) of the successful ingest runs (plus, for
// the custom layer, a fingerprint of the custom areas, which are saved
// without an ingest run). It is checked at most every versionTTL; when it
// changes, the layer's index is rebuilt on the next request and old tiles
// age out of the cache (their keys carry the version).
//
// Feature ids: every feature carries its code (areas.code, services.id) as
// the "code" property, and clients should use that (MapLibre promoteId:
// "code"). The numeric MVT id is the FNV-1a hash of the code truncated to
// 53 bits (so it survives JavaScript numbers): stable across rebuilds and
// versions, but not guaranteed unique.

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"container/list"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
	"github.com/tidwall/rtree"

	"commonground/warehouse"
)

// Tile limits.
const (
	maxTileZoom = 16
	// maxTileBytes is the largest gzipped tile we send; bigger tiles are
	// rebuilt with harder simplification.
	maxTileBytes = 500 << 10
	// tileCacheBytes bounds the in-memory tile cache: every tile of England
	// at zooms 5 to 10 takes about 16 MB (docs/PERFORMANCE.md, issue 5).
	tileCacheBytes = 24 << 20
	// versionTTL is how long a data-version check is trusted.
	versionTTL = 2 * time.Second
	// tileExtent is the MVT grid of a tile.
	tileExtent = mvt.DefaultExtent
)

// tileClip is where geometry is cut: the tile plus a buffer of 1/16 of a
// tile (32 px on a 512 px tile) on each side, wide enough for the thickest
// outline we draw. mvt.MapboxGLDefaultExtentBound keeps a whole tile of
// buffer, which made dense low-zoom tiles several times bigger for nothing.
var tileClip = orb.Bound{
	Min: orb.Point{-tileExtent / 16, -tileExtent / 16},
	Max: orb.Point{tileExtent + tileExtent/16, tileExtent + tileExtent/16},
}

// tileLayer is one layer a client may ask for.
type tileLayer struct {
	// Name is the URL segment and the MVT layer name.
	Name string
	// Level is areas.level; "" for the services points.
	Level string
	// MinZoom is the lowest zoom with features; below it the tile is
	// empty (204). Chosen so that no tile in England exceeds maxTileBytes.
	MinZoom int
}

// tileLayers is the allowlist, in a fixed order.
var tileLayers = []tileLayer{
	{Name: "lad", Level: "lad", MinZoom: 0},
	{Name: "ward", Level: "ward", MinZoom: 7},
	{Name: "msoa21", Level: "msoa21", MinZoom: 7},
	{Name: "lsoa11", Level: "lsoa11", MinZoom: 9},
	{Name: "lsoa21", Level: "lsoa21", MinZoom: 9},
	{Name: "custom", Level: "custom", MinZoom: 0},
	{Name: "services", MinZoom: 10},
}

func findTileLayer(name string) (tileLayer, bool) {
	for _, l := range tileLayers {
		if l.Name == name {
			return l, true
		}
	}
	return tileLayer{}, false
}

// zoomBands: features keep pre-simplified copies of their geometry for low
// zooms, so a tile at z8 does not clone and project every vertex of the
// full-detail boundary. Band b serves zooms up to bandMaxZoom[b]; the last
// band is the full geometry.
var bandMaxZoom = [...]int{6, 8, 10, maxTileZoom}

func zoomBand(z int) int {
	for b, mz := range bandMaxZoom {
		if z <= mz {
			return b
		}
	}
	return len(bandMaxZoom) - 1
}

// bandTolerance is the Douglas-Peucker tolerance, in degrees, that removes
// no more than a quarter of a tile unit at zoom z anywhere in England
// (a degree of latitude is stretched by up to 1/cos(56°) in Web Mercator).
func bandTolerance(z int) float64 {
	unit := 360 / (float64(tileExtent) * math.Exp2(float64(z)))
	return 0.25 * unit * math.Cos(56*math.Pi/180)
}

// tileFeature is one feature held in memory.
type tileFeature struct {
	code, name, category string
	id                   uint64
	geom                 [len(bandMaxZoom)]*shape // bands may share one
}

// layerIndex is one layer's features at one data version. It is read-only
// once built and safe for concurrent use.
type layerIndex struct {
	version  string
	features []tileFeature
	tree     rtree.RTreeG[int32]
	bound    orb.Bound
	vertices int
	built    time.Duration
}

// featureID is the MVT id of a feature: FNV-1a of its code, 53 bits.
func featureID(code string) uint64 {
	h := fnv.New64a()
	io.WriteString(h, code)
	return h.Sum64() & (1<<53 - 1)
}

// dataVersion is what the tiles depend on.
type dataVersion struct {
	run    int64
	custom string // count and fingerprint of the custom areas
}

func (v dataVersion) forLayer(l tileLayer) string {
	if l.Level == warehouse.CustomLevel {
		return fmt.Sprintf("%d.%s", v.run, v.custom)
	}
	return strconv.FormatInt(v.run, 10)
}

// tileServer builds, caches and serves tiles. It is safe for concurrent use.
type tileServer struct {
	db  *warehouse.DB
	log *slog.Logger

	verMu sync.Mutex
	ver   dataVersion
	verAt time.Time

	mu      sync.Mutex
	indexes map[string]*indexCall // by layer name
	flight  map[string]*tileCall  // tiles being built, by cache key

	cache *tileCache
	// values caches /api/map/values responses (mapview.go); keys carry the
	// data version.
	values *tileCache
	// money gates the profile's money report (moneygate.go).
	money moneyGate
	// maxBytes is the largest tile sent (maxTileBytes; tests lower it).
	maxBytes int

	// catalogue caches what /map can show, per data version (mapview.go).
	catMu      sync.Mutex
	catVersion dataVersion
	catalogue  *mapCatalogue
}

// indexCall is one (possibly finished) index build.
type indexCall struct {
	version string
	done    chan struct{}
	idx     *layerIndex
	err     error
}

// tileCall is one tile build that concurrent requests for it wait on.
type tileCall struct {
	done chan struct{}
	data []byte
	err  error
}

func newTileServer(db *warehouse.DB, log *slog.Logger) *tileServer {
	return &tileServer{db: db, log: log, indexes: map[string]*indexCall{}, flight: map[string]*tileCall{},
		cache: newTileCache(tileCacheBytes), values: newTileCache(valuesCacheBytes), maxBytes: maxTileBytes}
}

// valuesCacheBytes bounds the cache of encoded map values.
const valuesCacheBytes = 8 << 20

// DataChanged drops everything cached from the warehouse (tiles, layer
// indexes, the map catalogue, map values, the indicators engine's rows):
// called after a load that changed data (serve --refresh). Requests under
// way finish with what they had; the next ones read afresh.
func (s *Server) DataChanged() {
	ts := s.tiles
	ts.verMu.Lock()
	ts.verAt = time.Time{}
	ts.verMu.Unlock()
	ts.mu.Lock()
	clear(ts.indexes)
	ts.mu.Unlock()
	ts.catMu.Lock()
	ts.catalogue = nil
	ts.catMu.Unlock()
	ts.money.mu.Lock()
	ts.money.ready = false
	ts.money.mu.Unlock()
	ts.cache.reset()
	ts.values.reset()
	s.prof.recheck()
	if s.cat != nil {
		s.cat.Reset()
	}
}

// version returns the current data version, querying the warehouse at most
// every versionTTL.
func (ts *tileServer) version(ctx context.Context) (dataVersion, error) {
	ts.verMu.Lock()
	defer ts.verMu.Unlock()
	if !ts.verAt.IsZero() && time.Since(ts.verAt) < versionTTL {
		return ts.ver, nil
	}
	var v dataVersion
	var n int64
	var fp uint64
	err := ts.db.SQL().QueryRowContext(ctx, `SELECT
		(SELECT coalesce(max(run_id), 0) FROM ingest_runs WHERE status = 'ok'),
		count(*), coalesce(bit_xor(hash(code, name, geometry)), 0)
		FROM areas WHERE level = ?`, warehouse.CustomLevel).Scan(&v.run, &n, &fp)
	if err != nil {
		return v, fmt.Errorf("tile data version: %w", err)
	}
	v.custom = fmt.Sprintf("%d-%x", n, fp)
	if ts.ver != v && !ts.verAt.IsZero() {
		ts.log.Info("map data changed", "run_id", v.run, "custom", v.custom)
	}
	ts.ver, ts.verAt = v, time.Now()
	return v, nil
}

// index returns the layer's index at version, building it if needed.
// Concurrent callers share one build.
func (ts *tileServer) index(ctx context.Context, l tileLayer, version string) (*layerIndex, error) {
	ts.mu.Lock()
	call := ts.indexes[l.Name]
	if call == nil || call.version != version || (call.err != nil && isDone(call.done)) {
		call = &indexCall{version: version, done: make(chan struct{})}
		ts.indexes[l.Name] = call
		ts.mu.Unlock()
		// Build outside the request's cancellation: others may be waiting.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		call.idx, call.err = ts.buildIndex(bctx, l, version)
		cancel()
		close(call.done)
		if call.err == nil {
			ts.log.Info("map layer indexed", "layer", l.Name, "version", version, "features", len(call.idx.features),
				"vertices", call.idx.vertices, "duration_ms", call.idx.built.Milliseconds())
		}
		return call.idx, call.err
	}
	ts.mu.Unlock()
	select {
	case <-call.done:
		return call.idx, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// buildIndex reads a layer from the warehouse.
func (ts *tileServer) buildIndex(ctx context.Context, l tileLayer, version string) (*layerIndex, error) {
	start := time.Now()
	idx := &layerIndex{version: version}
	var err error
	if l.Level == "" {
		err = ts.loadServices(ctx, idx)
	} else {
		err = ts.loadAreas(ctx, l, idx)
	}
	if err != nil {
		return nil, fmt.Errorf("index map layer %s: %w", l.Name, err)
	}
	for i, f := range idx.features {
		b := f.geom[len(bandMaxZoom)-1].bound()
		idx.tree.Insert(b.Min, b.Max, int32(i))
		if i == 0 {
			idx.bound = b
		} else {
			idx.bound = idx.bound.Union(b)
		}
	}
	idx.built = time.Since(start)
	return idx, nil
}

func (ts *tileServer) loadAreas(ctx context.Context, l tileLayer, idx *layerIndex) error {
	// Sorted by code here, not by DuckDB: an ORDER BY holds every
	// geometry of the layer in DuckDB's memory at once (England's LSOAs:
	// +100 MB of RSS for a moment, the server's peak).
	rows, err := ts.db.SQL().QueryContext(ctx, `SELECT code, coalesce(name, code), geometry FROM areas
		WHERE level = ? AND geometry IS NOT NULL`, l.Level)
	if err != nil {
		return err
	}
	defer rows.Close()
	full := len(bandMaxZoom) - 1
	for rows.Next() {
		var code, name string
		var b []byte
		if err := rows.Scan(&code, &name, &b); err != nil {
			return err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			ts.log.Warn("map layer: unreadable geometry skipped", "layer", l.Name, "code", code, "err", err)
			continue
		}
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
		default:
			ts.log.Warn("map layer: geometry is not a polygon, skipped", "layer", l.Name, "code", code, "type", g.GeoJSONType())
			continue
		}
		f := tileFeature{code: code, name: name, id: featureID(code)}
		f.geom[full] = packShape(g)
		idx.vertices += countPoints(g)
		// Coarser copies for the low zooms the layer is shown at.
		for band := full - 1; band >= 0; band-- {
			if bandMaxZoom[band] < l.MinZoom {
				break
			}
			g := simplify.DouglasPeucker(bandTolerance(bandMaxZoom[band])).Simplify(f.geom[band+1].geometry())
			// A copy that drops less than a fifth of the vertices is not
			// worth its memory: share the finer one.
			if n, of := countPoints(g), f.geom[band+1].points(); 5*n > 4*of {
				f.geom[band] = f.geom[band+1]
			} else {
				f.geom[band] = packShape(g)
			}
		}
		idx.features = append(idx.features, f)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(idx.features, func(x, y tileFeature) int { return cmp.Compare(x.code, y.code) })
	return nil
}

// loadServices reads the services points, if the table exists: it is
// filled by another part of the ingest and may be absent or empty.
func (ts *tileServer) loadServices(ctx context.Context, idx *layerIndex) error {
	ok, err := hasTable(ctx, ts.db, "services")
	if err != nil || !ok {
		return err
	}
	rows, err := ts.db.SQL().QueryContext(ctx, `SELECT id, coalesce(category, ''), coalesce(name, ''), lon, lat FROM services
		WHERE lon IS NOT NULL AND lat IS NOT NULL AND coalesce(status, 'open') <> 'closed' ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f tileFeature
		var lon, lat float64
		if err := rows.Scan(&f.code, &f.category, &f.name, &lon, &lat); err != nil {
			return err
		}
		f.id = featureID(f.code)
		pt := packShape(orb.Point{lon, lat})
		for b := range f.geom {
			f.geom[b] = pt
		}
		idx.vertices++
		idx.features = append(idx.features, f)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(idx.features, func(x, y tileFeature) int { return cmp.Compare(x.code, y.code) })
	return nil
}

// hasTable reports whether the warehouse has a table of that name.
func hasTable(ctx context.Context, db *warehouse.DB, name string) (bool, error) {
	var n int
	err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?`, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

func countPoints(g orb.Geometry) int {
	n := 0
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			n += len(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			n += countPoints(p)
		}
	}
	return n
}

// simplifySteps are the tolerances (tile units) and smallest kept polygon
// areas (square tile units) tried in turn until a tile fits its size limit.
var simplifySteps = []struct{ tolerance, minArea float64 }{
	{1, 1}, {2, 2}, {4, 8}, {8, 32}, {16, 128}, {32, 512}, {64, 2048},
}

// build cuts one tile of at most maxBytes: nil data means the tile is empty.
func (idx *layerIndex) build(l tileLayer, t maptile.Tile, maxBytes int) ([]byte, error) {
	if int(t.Z) < l.MinZoom {
		return nil, nil
	}
	// Features whose bounds touch the tile or its clip buffer.
	qb := t.Bound(1.0 / 16)
	var hits []int32
	idx.tree.Search(qb.Min, qb.Max, func(_, _ [2]float64, i int32) bool {
		hits = append(hits, i)
		return true
	})
	if len(hits) == 0 {
		return nil, nil
	}
	slices.Sort(hits) // byte-stable output whatever the tree's order
	band := zoomBand(int(t.Z))
	var data []byte
	for attempt, step := range simplifySteps {
		fc := geojson.NewFeatureCollection()
		fc.Features = make([]*geojson.Feature, 0, len(hits))
		for _, i := range hits {
			f := &idx.features[i]
			gf := geojson.NewFeature(f.geom[band].geometry()) // a copy: ProjectToTile works in place
			gf.ID = f.id
			gf.Properties["code"] = f.code
			gf.Properties["name"] = f.name
			if f.category != "" {
				gf.Properties["category"] = f.category
			}
			fc.Features = append(fc.Features, gf)
		}
		layer := mvt.NewLayer(l.Name, fc)
		layer.Version = 2
		layers := mvt.Layers{layer}
		layers.ProjectToTile(t)
		layers.Clip(tileClip)
		layers.Simplify(simplify.DouglasPeucker(step.tolerance))
		layers.RemoveEmpty(1, step.minArea)
		if len(layer.Features) == 0 {
			return nil, nil
		}
		var err error
		data, err = mvt.MarshalGzipped(layers)
		if err != nil {
			return nil, fmt.Errorf("tile %s/%d/%d/%d: %w", l.Name, t.Z, t.X, t.Y, err)
		}
		if len(data) <= maxBytes || attempt == len(simplifySteps)-1 {
			break
		}
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("tile %s/%d/%d/%d is %d bytes even simplified", l.Name, t.Z, t.X, t.Y, len(data))
	}
	return data, nil
}

// tile returns the gzipped tile (nil when empty), from the cache or built.
func (ts *tileServer) tile(ctx context.Context, l tileLayer, version string, t maptile.Tile) ([]byte, error) {
	key := fmt.Sprintf("%s/%s/%d/%d/%d", version, l.Name, t.Z, t.X, t.Y)
	if data, ok := ts.cache.get(key); ok {
		return data, nil
	}
	if int(t.Z) < l.MinZoom {
		return nil, nil
	}
	ts.mu.Lock()
	if call, ok := ts.flight[key]; ok {
		ts.mu.Unlock()
		select {
		case <-call.done:
			return call.data, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call := &tileCall{done: make(chan struct{})}
	ts.flight[key] = call
	ts.mu.Unlock()

	idx, err := ts.index(ctx, l, version)
	if err == nil {
		call.data, call.err = idx.build(l, t, ts.maxBytes)
		if call.err == nil {
			ts.cache.put(key, call.data)
		}
	} else {
		call.err = err
	}
	ts.mu.Lock()
	delete(ts.flight, key)
	ts.mu.Unlock()
	close(call.done)
	return call.data, call.err
}

// handleTile serves GET /tiles/:layer/:z/:x/:y (y carries the .mvt suffix).
func (s *Server) handleTile(c echo.Context) error {
	l, ok := findTileLayer(c.Param("layer"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "There is no map layer \""+c.Param("layer")+"\".")
	}
	t, err := parseTile(c.Param("z"), c.Param("x"), c.Param("y"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	ctx := c.Request().Context()
	v, err := s.tiles.version(ctx)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	version := v.forLayer(l)
	etag := fmt.Sprintf(`"t%s-%s-%d-%d-%d"`, version, l.Name, t.Z, t.X, t.Y)
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Vary", "Accept-Encoding")
	if etagMatch(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	data, err := s.tiles.tile(ctx, l, version, t)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return c.NoContent(499) // the map moved on; nobody is listening
		}
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	if len(data) == 0 {
		// Empty tile: MapLibre treats 204 as a tile with no features.
		return c.NoContent(http.StatusNoContent)
	}
	if !acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		return c.Blob(http.StatusOK, "application/vnd.mapbox-vector-tile", raw)
	}
	h.Set("Content-Encoding", "gzip")
	return c.Blob(http.StatusOK, "application/vnd.mapbox-vector-tile", data)
}

// parseTile reads z, x and "y.mvt" and checks they name a tile.
func parseTile(zs, xs, ys string) (maptile.Tile, error) {
	ys, ok := strings.CutSuffix(ys, ".mvt")
	if !ok {
		return maptile.Tile{}, errors.New("Tile addresses end in .mvt, as in /tiles/lad/6/31/20.mvt.")
	}
	z, errZ := strconv.Atoi(zs)
	x, errX := strconv.Atoi(xs)
	y, errY := strconv.Atoi(ys)
	if errZ != nil || errX != nil || errY != nil {
		return maptile.Tile{}, errors.New("Tile z, x and y must be whole numbers.")
	}
	if z < 0 || z > maxTileZoom {
		return maptile.Tile{}, fmt.Errorf("Tile zoom must be between 0 and %d.", maxTileZoom)
	}
	if n := 1 << z; x < 0 || x >= n || y < 0 || y >= n {
		return maptile.Tile{}, fmt.Errorf("At zoom %d, tile x and y must be between 0 and %d.", z, n-1)
	}
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), nil
}

// etagMatch implements If-None-Match (weak comparison, lists and "*").
func etagMatch(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}

func acceptsGzip(header string) bool {
	for _, v := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(v), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// tileCache is an LRU of gzipped tiles bounded by total bytes. It is safe
// for concurrent use.
type tileCache struct {
	mu    sync.Mutex
	limit int
	size  int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	data []byte
}

// cacheOverhead is counted for every entry, so empty tiles are not free.
const cacheOverhead = 128

func newTileCache(limit int) *tileCache {
	return &tileCache{limit: limit, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *tileCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).data, true
	}
	return nil, false
}

func (c *tileCache) put(key string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	data = exact(data)
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, data: data})
	c.size += len(data) + cacheOverhead
	for c.size > c.limit && c.ll.Len() > 1 {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.items, ce.key)
		c.size -= len(ce.data) + cacheOverhead
	}
}

// exact returns b, or a copy without the spare capacity a growing buffer
// leaves (up to half of it), which a cache would otherwise keep unseen.
func exact(b []byte) []byte {
	if cap(b)-len(b) > len(b)/16 {
		return bytes.Clone(b)
	}
	return b
}

func (c *tileCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.items)
	c.size = 0
}
