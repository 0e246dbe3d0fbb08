// Package custom handles areas that residents or councils draw themselves
// (a Big Local area, a council's localities), which rarely follow official
// boundaries. It reads and checks their GeoJSON, works out which LSOAs make
// them up by best fit, as ONS builds its best-fit lookups, and stores them in
// the warehouse (areas with level 'custom', and area_members), so every
// LSOA-based indicator can be summed over them.
//
// Best fit: an LSOA belongs to an area when its population-weighted centroid
// lies inside the boundary, or, where those are not loaded (today, always),
// its geometric centroid (areas.centroid_lon/lat). An area too small to hold
// any LSOA's centroid is represented by the one LSOA containing its centre.
// This is done for each LSOA vintage loaded (2011 and 2021).
//
// The functions here are safe for concurrent use; writes serialise in the
// warehouse.
package custom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"commonground/ingest/format"
	"commonground/warehouse"
)

// Limits on what a custom area may be: generous for any neighbourhood,
// small enough to catch the wrong file.
const (
	// MaxFileBytes is the largest file Read accepts (10 MB).
	MaxFileBytes = 10 << 20
	// MaxVertices is the most vertices an area may have.
	MaxVertices = 200_000
	// MaxAreaKm2 is the largest area in square kilometres.
	MaxAreaKm2 = 5000
)

// Best-fit methods, recorded in area_members.method.
const (
	// MethodPWC: the LSOA's population-weighted centroid lies inside the
	// area. Not used yet: no PWC dataset is in the catalogue.
	// TODO: add the ONS LSOA 2011/2021 population-weighted centroids as a
	// catalogue dataset and prefer them in candidates (see docs/CUSTOM_AREAS.md).
	MethodPWC = "best_fit_pwc"
	// MethodCentroid: the LSOA's geometric centroid lies inside the area.
	MethodCentroid = "best_fit_centroid"
	// MethodContaining: no LSOA centroid lies inside the area, which is
	// represented by the single LSOA containing its centre.
	MethodContaining = "best_fit_containing"
)

// ErrInvalid is wrapped by every error about the content of a custom area
// file or boundary (Read, Check, Add).
var ErrInvalid = errors.New("invalid custom area")

// ErrNoLSOAs is returned (wrapped) by Add and Refresh when no loaded LSOA
// boundary lies under the area.
var ErrNoLSOAs = errors.New("no loaded LSOA boundary covers the area")

// ErrNotFound is returned (wrapped) by Show, Refresh and Remove for a code
// that is not a custom area.
var ErrNotFound = warehouse.ErrNoCustomArea

// England, roughly: the Isles of Scilly to Lowestoft, the Lizard to
// Berwick. Wales and the Scottish borders fall inside too; that is fine for
// a sanity check.
var england = orb.Bound{Min: orb.Point{-6.5, 49.8}, Max: orb.Point{1.8, 55.9}}

// Feature is one polygon feature of a custom area file.
type Feature struct {
	// Index is the feature's 1-based position in the file.
	Index int
	// Props are the feature's properties as text (numbers as written,
	// null as "").
	Props map[string]string
	// Geometry is the boundary in WGS84 lon/lat.
	Geometry orb.MultiPolygon
}

// File is what Read found in a custom area file.
type File struct {
	Name     string
	Features []Feature
	// Notes say what Read did that the user should know, such as
	// converting British National Grid coordinates.
	Notes []string
}

// ReadFile reads a custom area file (see Read), refusing one larger than
// MaxFileBytes before reading it.
func ReadFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("read %s: %w: the file is %s, more than the limit of %s (simplify the boundary, e.g. with mapshaper)",
			path, ErrInvalid, megabytes(st.Size()), megabytes(MaxFileBytes))
	}
	return Read(f, path)
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// Read reads a custom area file: a GeoJSON FeatureCollection of Polygon or
// MultiPolygon features, a single Feature, or a bare geometry (a
// GeometryCollection of polygons is accepted too). Text goes through
// format.Decode (BOMs, Windows-1252).
//
// Coordinates are WGS84 longitude, latitude. A legacy "crs" member may say
// CRS84 or EPSG:4326, or EPSG:27700 for British National Grid metres, which
// are converted (format.BNGToWGS84, about 5 m). Without a crs, coordinates
// that can only be National Grid metres are converted too, and a note says
// so; latitude and longitude given the wrong way round are an error.
//
// Each feature must be valid: closed rings of at least 4 points enclosing
// some area, not crossing themselves, finite coordinates. The limits of
// Check are not applied here (they apply to each area, see Check). Every
// error wraps ErrInvalid and names the feature, polygon and ring.
func Read(r io.Reader, name string) (*File, error) {
	fail := func(format string, args ...any) (*File, error) {
		return nil, fmt.Errorf("read %s: %w: %s", name, ErrInvalid, fmt.Sprintf(format, args...))
	}
	raw, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(raw) > MaxFileBytes {
		return fail("the file is more than the limit of %s (simplify the boundary, e.g. with mapshaper)", megabytes(MaxFileBytes))
	}
	text, err := io.ReadAll(format.Decode(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return fail("the file is empty")
	}
	var doc struct {
		Type        string            `json:"type"`
		CRS         json.RawMessage   `json:"crs"`
		Features    []json.RawMessage `json:"features"`
		Geometry    json.RawMessage   `json:"geometry"`
		Properties  json.RawMessage   `json:"properties"`
		Coordinates json.RawMessage   `json:"coordinates"`
		Geometries  json.RawMessage   `json:"geometries"`
	}
	if err := json.Unmarshal(text, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fail("not JSON: %v (at byte %d)", se, se.Offset)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return fail("not a GeoJSON object (the file holds a JSON %s)", te.Value)
		}
		return fail("not GeoJSON: %v", err)
	}
	crs, err := parseCRS(doc.CRS)
	if err != nil {
		return fail("%v", err)
	}
	f := &File{Name: name}
	switch {
	case doc.Type == "FeatureCollection":
		if len(doc.Features) == 0 {
			return fail("the FeatureCollection has no features")
		}
		for i, rf := range doc.Features {
			ft, err := readFeature(rf, i+1)
			if err != nil {
				return fail("%v", err)
			}
			f.Features = append(f.Features, ft)
		}
	case doc.Type == "Feature":
		ft, err := readFeature(text, 1)
		if err != nil {
			return fail("%v", err)
		}
		f.Features = []Feature{ft}
	case doc.Type == "Topology":
		return fail("this is TopoJSON: convert it to GeoJSON first (e.g. mapshaper in.json -o format=geojson)")
	case isGeometryType(doc.Type):
		mp, err := readGeometry(text)
		if err != nil {
			return fail("%v", err)
		}
		f.Features = []Feature{{Index: 1, Props: map[string]string{}, Geometry: mp}}
	case doc.Type == "":
		return fail(`not GeoJSON: no "type" member`)
	default:
		return fail("not GeoJSON: type %q", doc.Type)
	}
	if err := f.toWGS84(crs); err != nil {
		return fail("%v", err)
	}
	for _, ft := range f.Features {
		if err := validate(ft.Geometry); err != nil {
			return fail("feature %d%s: %v", ft.Index, ft.label(), err)
		}
	}
	return f, nil
}

// label is " (name)" when the feature has a name property, for errors.
func (f Feature) label() string {
	if n := f.Name(""); n != "" {
		return fmt.Sprintf(" (%s)", n)
	}
	return ""
}

// Name returns the feature's name from property prop, or when prop is ""
// from the first of name, Name, NAME, area_name, AREA_NAME that is set.
func (f Feature) Name(prop string) string {
	if prop != "" {
		return strings.TrimSpace(f.Props[prop])
	}
	for _, p := range []string{"name", "Name", "NAME", "area_name", "AREA_NAME"} {
		if v := strings.TrimSpace(f.Props[p]); v != "" {
			return v
		}
	}
	return ""
}

// Union returns the polygons of every feature as one MultiPolygon. The
// polygons are put side by side, not dissolved: where features overlap the
// area counts twice in Check's area, which is harmless for best fit.
func (f *File) Union() orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, ft := range f.Features {
		mp = append(mp, ft.Geometry...)
	}
	return mp
}

func isGeometryType(t string) bool {
	switch t {
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		return true
	}
	return false
}

func readFeature(raw json.RawMessage, index int) (Feature, error) {
	var env struct {
		Type       string                     `json:"type"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return Feature{}, fmt.Errorf("feature %d: not a GeoJSON Feature: %v", index, err)
	}
	ft := Feature{Index: index, Props: map[string]string{}}
	for k, v := range env.Properties {
		ft.Props[k] = propString(v)
	}
	if env.Type != "Feature" {
		return Feature{}, fmt.Errorf("feature %d%s: type %q, not a Feature", index, ft.label(), env.Type)
	}
	if len(env.Geometry) == 0 || string(env.Geometry) == "null" {
		return Feature{}, fmt.Errorf("feature %d%s has no geometry", index, ft.label())
	}
	mp, err := readGeometry(env.Geometry)
	if err != nil {
		return Feature{}, fmt.Errorf("feature %d%s: %v", index, ft.label(), err)
	}
	ft.Geometry = mp
	return ft, nil
}

// propString renders a property value as text: strings unquoted, numbers
// as written, null as "", anything else as compact JSON.
func propString(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(v)
}

// readGeometry decodes a GeoJSON geometry that must be areal.
func readGeometry(raw json.RawMessage) (mp orb.MultiPolygon, err error) {
	defer func() {
		if p := recover(); p != nil {
			mp, err = nil, fmt.Errorf("unreadable geometry: %v", p)
		}
	}()
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, fmt.Errorf("unreadable geometry: %v", err)
	}
	return areal(g.Geometry())
}

// areal turns a Polygon, MultiPolygon or a collection of them into a
// MultiPolygon, and anything else into an error saying what it is.
func areal(g orb.Geometry) (orb.MultiPolygon, error) {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	case orb.Collection:
		var mp orb.MultiPolygon
		for i, m := range g {
			p, err := areal(m)
			if err != nil {
				return nil, fmt.Errorf("member %d: %w", i+1, err)
			}
			mp = append(mp, p...)
		}
		return mp, nil
	case nil:
		return nil, errors.New("no geometry")
	}
	return nil, fmt.Errorf("the geometry is a %s: a custom area must be a Polygon or MultiPolygon (draw its boundary, not a pin or a line)", g.GeoJSONType())
}

type crsKind int

const (
	crsAuto crsKind = iota
	crsWGS84
	crsBNG
)

var epsgCode = regexp.MustCompile(`(?i)epsg\D*?(\d+)\s*$`)

// parseCRS reads a legacy "crs" member (named, or old-style EPSG).
func parseCRS(v json.RawMessage) (crsKind, error) {
	if len(v) == 0 || string(v) == "null" {
		return crsAuto, nil
	}
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(v, &c); err != nil {
		return crsAuto, fmt.Errorf("unreadable crs member: %v", err)
	}
	name := strings.ToLower(strings.TrimSpace(c.Properties.Name))
	if strings.EqualFold(c.Type, "EPSG") && len(c.Properties.Code) > 0 {
		name = "epsg:" + strings.Trim(string(c.Properties.Code), `"`)
	}
	if strings.HasSuffix(name, "crs84") || strings.HasSuffix(name, "crs:84") || name == "wgs84" {
		return crsWGS84, nil
	}
	if m := epsgCode.FindStringSubmatch(name); m != nil {
		switch m[1] {
		case "4326":
			return crsWGS84, nil
		case "27700":
			return crsBNG, nil
		}
	}
	return crsAuto, fmt.Errorf("unsupported crs %q: give WGS84 longitude/latitude (CRS84, EPSG:4326) or British National Grid (EPSG:27700)", c.Properties.Name)
}

// toWGS84 converts National Grid coordinates (declared, or detected when no
// crs is given) and rejects latitude/longitude given the wrong way round.
func (f *File) toWGS84(crs crsKind) error {
	b := f.Union().Bound()
	lonlat := b.Min[0] >= -180 && b.Max[0] <= 180 && b.Min[1] >= -90 && b.Max[1] <= 90
	switch {
	case crs == crsBNG:
	case crs == crsAuto && !lonlat && looksLikeBNG(b):
		f.Notes = append(f.Notes, "the coordinates are British National Grid metres (EPSG:27700) without a crs member saying so; they were converted to WGS84 longitude/latitude (to about 5 m)")
	case lonlat && b.Min[0] >= 49 && b.Max[0] <= 61 && b.Min[1] >= -9 && b.Max[1] <= 2.5:
		return fmt.Errorf("the coordinates look like latitude, longitude (x %.4f..%.4f, y %.4f..%.4f): GeoJSON puts longitude first",
			b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	case !lonlat:
		return fmt.Errorf("the coordinates are not longitude/latitude (x %g..%g, y %g..%g): give WGS84 (EPSG:4326), or British National Grid with a crs member naming EPSG:27700",
			b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	default:
		return nil
	}
	for _, ft := range f.Features {
		for _, p := range ft.Geometry {
			for _, r := range p {
				for i, pt := range r {
					lon, lat := format.BNGToWGS84(pt[0], pt[1])
					r[i] = orb.Point{lon, lat}
				}
			}
		}
	}
	return nil
}

// looksLikeBNG: outside lon/lat range, and within the National Grid's
// extent (0..700 km east, 0..1300 km north).
func looksLikeBNG(b orb.Bound) bool {
	return b.Min[0] >= 0 && b.Min[1] >= 0 && b.Max[0] <= 800000 && b.Max[1] <= 1300000 && (b.Max[0] > 1000 || b.Max[1] > 1000)
}

// validate checks each polygon of a boundary: format.ValidateGeometry
// (finite lon/lat, closed rings of 4 points or more), then that every ring
// encloses some area and does not cross itself.
func validate(mp orb.MultiPolygon) error {
	if err := format.ValidateGeometry(mp); err != nil {
		return err
	}
	for i, p := range mp {
		for j, r := range p {
			if at, ok := ringCrossing(r); ok {
				return fmt.Errorf("polygon %d: ring %d crosses itself near %.6f, %.6f (redraw it without the twist)", i+1, j+1, at[0], at[1])
			}
			if planar.Area(r) == 0 {
				return fmt.Errorf("polygon %d: ring %d encloses no area", i+1, j+1)
			}
		}
	}
	return nil
}

// Check applies the limits for one area: inside England, at most
// MaxVertices vertices and MaxAreaKm2 square kilometres. Errors wrap
// ErrInvalid.
func Check(mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return fmt.Errorf("%w: the area is empty", ErrInvalid)
	}
	b := mp.Bound()
	if !england.Contains(b.Min) || !england.Contains(b.Max) {
		return fmt.Errorf("%w: the area lies outside England (lon %.4f..%.4f, lat %.4f..%.4f; England is within lon %g..%g, lat %g..%g)",
			ErrInvalid, b.Min[0], b.Max[0], b.Min[1], b.Max[1], england.Min[0], england.Max[0], england.Min[1], england.Max[1])
	}
	if n := vertices(mp); n > MaxVertices {
		return fmt.Errorf("%w: the boundary has %d vertices, more than the limit of %d (simplify it, e.g. with mapshaper -simplify)", ErrInvalid, n, MaxVertices)
	}
	if km2 := geo.Area(mp) / 1e6; km2 > MaxAreaKm2 {
		return fmt.Errorf("%w: the area is %.0f km², more than the limit of %d km² for a neighbourhood", ErrInvalid, km2, MaxAreaKm2)
	}
	return nil
}

func vertices(mp orb.MultiPolygon) int {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

// ringCrossing reports a point where two non-adjacent edges of a closed
// ring properly cross (touching at a vertex is allowed). It sweeps the
// edges in order of their west end, testing each against the edges whose
// x-range it overlaps, which for real boundaries (short edges, few of them
// over any one longitude) is about linear. On a pathological ring, beyond
// maxCrossingWork comparisons, it gives up and reports none.
func ringCrossing(r orb.Ring) (orb.Point, bool) {
	n := len(r) - 1 // edges r[i]→r[i+1]
	if n < 4 {
		return orb.Point{}, false
	}
	type edge struct {
		i                      int
		minx, maxx, miny, maxy float64
	}
	edges := make([]edge, n)
	for i := range n {
		a, b := r[i], r[i+1]
		edges[i] = edge{i, min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1])}
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].minx < edges[j].minx })
	var active []edge
	work := 0
	for _, e := range edges {
		kept := active[:0]
		for _, a := range active {
			if a.maxx < e.minx {
				continue
			}
			kept = append(kept, a)
			if a.maxy < e.miny || a.miny > e.maxy {
				continue
			}
			d := e.i - a.i
			if d == 1 || d == -1 || d == n-1 || d == 1-n {
				continue
			}
			if segmentsCross(r[a.i], r[a.i+1], r[e.i], r[e.i+1]) {
				return r[e.i], true
			}
		}
		active = append(kept, e)
		if work += len(active); work > maxCrossingWork {
			return orb.Point{}, false
		}
	}
	return orb.Point{}, false
}

// maxCrossingWork bounds ringCrossing's comparisons.
const maxCrossingWork = 50_000_000

// segmentsCross reports whether segments ab and cd cross at a point
// interior to both.
func segmentsCross(a, b, c, d orb.Point) bool {
	o := func(p, q, r orb.Point) int {
		v := (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0])
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return 0
	}
	return o(a, b, c)*o(a, b, d) < 0 && o(c, d, a)*o(c, d, b) < 0
}

var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{2,31}$`)

// gssCode is the shape of an ONS (GSS) code such as E01006074.
var gssCode = regexp.MustCompile(`^[EWSNK][0-9]{8}$`)

// CheckCode reports why code cannot name a custom area: it must match
// ^[A-Z][A-Z0-9_-]{2,31}$ and must not look like an ONS code. Errors wrap
// ErrInvalid.
func CheckCode(code string) error {
	if !codePattern.MatchString(code) {
		return fmt.Errorf("%w: code %q: use 3 to 32 capital letters, digits, _ or -, starting with a letter", ErrInvalid, code)
	}
	if gssCode.MatchString(code) {
		return fmt.Errorf("%w: code %q looks like an ONS code; choose another so it can never clash with an official area", ErrInvalid, code)
	}
	return nil
}

// GenerateCode returns "X" and 8 hex digits of the SHA-256 of the name and
// the boundary's WKB: the same drawing under the same name gets the same
// code, so adding it again replaces it.
func GenerateCode(name string, mp orb.MultiPolygon) string {
	h := sha256.New()
	io.WriteString(h, name)
	h.Write([]byte{0})
	if wkb, err := format.EncodeWKB(mp); err == nil {
		h.Write(wkb)
	}
	return "X" + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:8])
}

// Member is one LSOA of a custom area.
type Member struct {
	Code, Name string
	Vintage    int
	LADCode    string
	Population sql.NullInt64
	// PopulationYear is the year of the LSOA's population estimate.
	PopulationYear sql.NullInt64
	// Share is the LSOA's share of the area's population in its vintage
	// (0–1; NULL when no population is loaded).
	Share  sql.NullFloat64
	Method string
}

// Vintage is the make-up of an area in one LSOA vintage.
type Vintage struct {
	Level   string // lsoa11 or lsoa21
	Vintage int    // 2011 or 2021
	Members []Member
	// Population sums the members' known populations; Missing counts
	// members with none loaded.
	Population int64
	Missing    int
	// PopulationYear is the newest estimate year among the members.
	PopulationYear int
}

// Area is a custom area with its make-up.
type Area struct {
	Code, Name string
	Geometry   orb.MultiPolygon
	Centroid   orb.Point
	AreaKm2    float64
	// LADCode is the local authority holding most of the area's
	// population (of the vintage Population comes from), LADShare that
	// share (0–1).
	LADCode, LADName string
	LADShare         float64
	// Population is the sum of the member LSOAs' populations in the
	// vintage with the newest estimates (PopulationVintage).
	Population        sql.NullInt64
	PopulationYear    int
	PopulationVintage int
	// Vintages is the make-up in each LSOA vintage loaded, newest first.
	Vintages []Vintage
	// Warnings are things the user should know: a fallback to the
	// containing LSOA, a vintage with no boundaries under the area,
	// members without population.
	Warnings []string
}

// Spec is an area to add.
type Spec struct {
	// Code is the area's code; "" generates one (GenerateCode).
	Code string
	Name string
	// Geometry is the boundary in WGS84 lon/lat.
	Geometry orb.MultiPolygon
}

// Add checks an area, works out its make-up by best fit against the LSOA
// boundaries loaded, and stores it (replacing a custom area of the same
// code and its members, in one transaction).
func Add(ctx context.Context, db *warehouse.DB, s Spec) (*Area, error) {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return nil, fmt.Errorf("add custom area: %w: it needs a name", ErrInvalid)
	}
	if utf8.RuneCountInString(s.Name) > 200 {
		return nil, fmt.Errorf("add custom area: %w: the name is longer than 200 characters", ErrInvalid)
	}
	if s.Code == "" {
		s.Code = GenerateCode(s.Name, s.Geometry)
	}
	if err := CheckCode(s.Code); err != nil {
		return nil, fmt.Errorf("add custom area %s: %w", s.Name, err)
	}
	if err := validate(s.Geometry); err != nil {
		return nil, fmt.Errorf("add custom area %s: %w: %v", s.Code, ErrInvalid, err)
	}
	if err := Check(s.Geometry); err != nil {
		return nil, fmt.Errorf("add custom area %s (%s): %w", s.Code, s.Name, err)
	}
	a := &Area{Code: s.Code, Name: s.Name, Geometry: s.Geometry, Centroid: format.Centroid(s.Geometry), AreaKm2: geo.Area(s.Geometry) / 1e6}
	if err := bestFit(ctx, db, a); err != nil {
		return nil, fmt.Errorf("add custom area %s (%s): %w", s.Code, s.Name, err)
	}
	if err := summarise(ctx, db, a); err != nil {
		return nil, fmt.Errorf("add custom area %s (%s): %w", s.Code, s.Name, err)
	}
	if err := save(ctx, db, a); err != nil {
		return nil, fmt.Errorf("add custom area %s (%s): %w", s.Code, s.Name, err)
	}
	return a, nil
}

func save(ctx context.Context, db *warehouse.DB, a *Area) error {
	wkb, err := format.EncodeWKB(a.Geometry)
	if err != nil {
		return err
	}
	b := a.Geometry.Bound()
	row := warehouse.CustomArea{
		Code: a.Code, Name: a.Name, Geometry: wkb,
		MinX: b.Min[0], MinY: b.Min[1], MaxX: b.Max[0], MaxY: b.Max[1],
		CentroidLon: a.Centroid[0], CentroidLat: a.Centroid[1],
		LADCode: a.LADCode, Population: a.Population,
	}
	if a.Population.Valid && a.PopulationYear > 0 {
		row.PopulationYear = sql.NullInt64{Int64: int64(a.PopulationYear), Valid: true}
	}
	var ms []warehouse.Member
	for _, v := range a.Vintages {
		for _, m := range v.Members {
			ms = append(ms, warehouse.Member{LSOACode: m.Code, LSOAVintage: m.Vintage, Population: m.Population, Share: m.Share, Method: m.Method})
		}
	}
	return db.SaveCustomArea(ctx, row, ms)
}

// lsoaLevels lists the LSOA levels loaded, newest vintage first.
func lsoaLevels(ctx context.Context, db *warehouse.DB) ([]Vintage, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT level, any_value(vintage) FROM areas
		WHERE level IN ('lsoa11', 'lsoa21') GROUP BY level ORDER BY 2 DESC`)
	if err != nil {
		return nil, fmt.Errorf("LSOA levels: %w", err)
	}
	defer rows.Close()
	var vs []Vintage
	for rows.Next() {
		var v Vintage
		if err := rows.Scan(&v.Level, &v.Vintage); err != nil {
			return nil, fmt.Errorf("LSOA levels: %w", err)
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

const memberCols = `code, coalesce(name, ''), vintage, coalesce(lad_code, ''), population, population_year`

func scanMember(rows *sql.Rows, extra ...any) (Member, error) {
	var m Member
	err := rows.Scan(append([]any{&m.Code, &m.Name, &m.Vintage, &m.LADCode, &m.Population, &m.PopulationYear}, extra...)...)
	return m, err
}

// bestFit fills a.Vintages: the LSOAs whose centroid lies in the area
// (bounding-box prefilter in SQL, then point in polygon), or the LSOA
// containing the area's centre when none does.
func bestFit(ctx context.Context, db *warehouse.DB, a *Area) error {
	levels, err := lsoaLevels(ctx, db)
	if err != nil {
		return err
	}
	if len(levels) == 0 {
		return fmt.Errorf("%w: no LSOA boundaries are loaded (run `commonground ingest boundaries-lsoa11` and `boundaries-lsoa21` first)", ErrNoLSOAs)
	}
	b := a.Geometry.Bound()
	byLevel := map[string]*Vintage{}
	for i := range levels {
		byLevel[levels[i].Level] = &levels[i]
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT level, `+memberCols+`, centroid_lon, centroid_lat FROM areas
		WHERE level IN ('lsoa11', 'lsoa21') AND centroid_lon BETWEEN ? AND ? AND centroid_lat BETWEEN ? AND ?
		ORDER BY code`, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	if err != nil {
		return fmt.Errorf("best fit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level string
		var lon, lat float64
		var m Member
		if err := rows.Scan(&level, &m.Code, &m.Name, &m.Vintage, &m.LADCode, &m.Population, &m.PopulationYear, &lon, &lat); err != nil {
			return fmt.Errorf("best fit: %w", err)
		}
		if planar.MultiPolygonContains(a.Geometry, orb.Point{lon, lat}) {
			m.Method = MethodCentroid
			v := byLevel[level]
			v.Members = append(v.Members, m)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("best fit: %w", err)
	}
	rows.Close()
	centre := InteriorPoint(a.Geometry)
	found := false
	for i := range levels {
		v := &levels[i]
		if len(v.Members) == 0 {
			m, ok, err := containing(ctx, db, v.Level, centre)
			if err != nil {
				return err
			}
			if ok {
				m.Method = MethodContaining
				v.Members = []Member{m}
			}
		}
		found = found || len(v.Members) > 0
		shares(v)
		sortMembers(v.Members)
	}
	if !found {
		return fmt.Errorf("%w (around %.5f, %.5f): load the LSOA boundaries for its local authority first (`commonground ingest boundaries-lsoa11 …`)", ErrNoLSOAs, centre[0], centre[1])
	}
	a.Vintages = levels
	return nil
}

// containing finds the LSOA of level whose boundary contains p.
func containing(ctx context.Context, db *warehouse.DB, level string, p orb.Point) (Member, bool, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT `+memberCols+`, geometry FROM areas
		WHERE level = ? AND minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? ORDER BY code`, level, p[0], p[0], p[1], p[1])
	if err != nil {
		return Member{}, false, fmt.Errorf("containing LSOA: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var wkb []byte
		m, err := scanMember(rows, &wkb)
		if err != nil {
			return Member{}, false, fmt.Errorf("containing LSOA: %w", err)
		}
		g, err := format.DecodeWKB(wkb)
		if err != nil {
			return Member{}, false, fmt.Errorf("containing LSOA: %s: %w", m.Code, err)
		}
		if mp, err := areal(g); err == nil && planar.MultiPolygonContains(mp, p) {
			return m, true, nil
		}
	}
	return Member{}, false, rows.Err()
}

// sortMembers orders members as Show does: largest share first, then by
// code.
func sortMembers(ms []Member) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.Share.Valid != b.Share.Valid {
			return a.Share.Valid
		}
		if a.Share.Float64 != b.Share.Float64 {
			return a.Share.Float64 > b.Share.Float64
		}
		return a.Code < b.Code
	})
}

// shares sums the vintage's population and sets each member's share.
func shares(v *Vintage) {
	v.Population, v.Missing, v.PopulationYear = 0, 0, 0
	for _, m := range v.Members {
		if !m.Population.Valid {
			v.Missing++
			continue
		}
		v.Population += m.Population.Int64
		if m.PopulationYear.Valid {
			v.PopulationYear = max(v.PopulationYear, int(m.PopulationYear.Int64))
		}
	}
	for i := range v.Members {
		m := &v.Members[i]
		m.Share = sql.NullFloat64{}
		if m.Population.Valid && v.Population > 0 {
			m.Share = sql.NullFloat64{Float64: float64(m.Population.Int64) / float64(v.Population), Valid: true}
		}
	}
}

// summarise sets the area's population (from the vintage with the newest
// estimates), its local authority, and warnings.
func summarise(ctx context.Context, db *warehouse.DB, a *Area) error {
	a.Warnings = nil
	best := -1
	for i, v := range a.Vintages {
		if len(v.Members) == v.Missing {
			continue
		}
		if best < 0 || v.PopulationYear > a.Vintages[best].PopulationYear {
			best = i
		}
	}
	if best >= 0 {
		v := a.Vintages[best]
		a.Population = sql.NullInt64{Int64: v.Population, Valid: true}
		a.PopulationYear, a.PopulationVintage = v.PopulationYear, v.Vintage
	}
	// The local authority: most population in the population vintage, else
	// in any vintage with local authorities known; by LSOA count when no
	// population is loaded.
	order := make([]int, 0, len(a.Vintages))
	if best >= 0 {
		order = append(order, best)
	}
	for i := range a.Vintages {
		if i != best {
			order = append(order, i)
		}
	}
	for _, i := range order {
		if code, share, ok := largestLAD(a.Vintages[i]); ok {
			a.LADCode, a.LADShare = code, share
			break
		}
	}
	var err error
	if a.LADName, err = ladName(ctx, db, a.LADCode); err != nil {
		return err
	}
	for _, v := range a.Vintages {
		label := vintageLabel(v.Vintage)
		switch {
		case len(v.Members) == 0:
			a.Warnings = append(a.Warnings, fmt.Sprintf("no %s boundary loaded covers the area: indicators on %s will be empty for it", label, label))
			continue
		case len(v.Members) == 1 && v.Members[0].Method == MethodContaining:
			m := v.Members[0]
			a.Warnings = append(a.Warnings, fmt.Sprintf("no %s centroid lies inside the area (it is smaller than an LSOA): it is represented by %s %s, the LSOA containing its centre, population %s",
				label, m.Code, m.Name, popText(m.Population)))
		}
		if v.Missing > 0 {
			a.Warnings = append(a.Warnings, fmt.Sprintf("%d of %d %ss have no population loaded: shares are of the %ss that have one", v.Missing, len(v.Members), label, label))
		}
	}
	return nil
}

// ladName finds a local authority's name in the boundaries, the lookup or
// the IoD ("" when none is loaded).
func ladName(ctx context.Context, db *warehouse.DB, code string) (string, error) {
	if code == "" {
		return "", nil
	}
	var name string
	if err := db.SQL().QueryRowContext(ctx, `SELECT coalesce(
		(SELECT any_value(name) FROM areas WHERE level = 'lad' AND code = ?),
		(SELECT any_value(lad_name) FROM lookup_lsoa_ward_lad WHERE lad_code = ?),
		(SELECT any_value(lad_name) FROM imd WHERE lad_code = ?), '')`, code, code, code).Scan(&name); err != nil {
		return "", fmt.Errorf("local authority name: %w", err)
	}
	return name, nil
}

func largestLAD(v Vintage) (string, float64, bool) {
	pop := map[string]float64{}
	var total float64
	usePop := v.Population > 0
	for _, m := range v.Members {
		w := 1.0
		if usePop {
			w = float64(m.Population.Int64) // 0 when NULL
		}
		total += w
		if m.LADCode != "" {
			pop[m.LADCode] += w
		}
	}
	if len(pop) == 0 || total == 0 {
		return "", 0, false
	}
	codes := make([]string, 0, len(pop))
	for c := range pop {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	best := codes[0]
	for _, c := range codes[1:] {
		if pop[c] > pop[best] {
			best = c
		}
	}
	return best, pop[best] / total, true
}

func vintageLabel(v int) string { return fmt.Sprintf("LSOA %d", v) }

func popText(p sql.NullInt64) string {
	if !p.Valid {
		return "unknown"
	}
	return thousands(p.Int64)
}

// thousands formats n with comma separators: 104,830.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// InteriorPoint returns the area's centroid when it lies inside the area,
// and otherwise a point inside its largest polygon: the middle of the
// widest stretch of a horizontal line through that polygon's middle.
func InteriorPoint(mp orb.MultiPolygon) orb.Point {
	c := format.Centroid(mp)
	if planar.MultiPolygonContains(mp, c) || len(mp) == 0 {
		return c
	}
	largest := mp[0]
	for _, p := range mp[1:] {
		if planar.Area(p) > planar.Area(largest) {
			largest = p
		}
	}
	b := largest.Bound()
	y := (b.Min[1] + b.Max[1]) / 2
	var xs []float64
	for _, r := range largest {
		for i := 0; i+1 < len(r); i++ {
			p, q := r[i], r[i+1]
			if (p[1] > y) != (q[1] > y) {
				xs = append(xs, p[0]+(y-p[1])*(q[0]-p[0])/(q[1]-p[1]))
			}
		}
	}
	slices.Sort(xs)
	bestW := -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			bestW, c = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
		}
	}
	return c
}

// Show reads a stored custom area and its make-up. Members' names and
// current populations come from the LSOA rows; a warning says when those
// have changed since the area was added (run Refresh).
func Show(ctx context.Context, db *warehouse.DB, code string) (*Area, error) {
	a := &Area{Code: code}
	var wkb []byte
	var lad sql.NullString
	var popYear sql.NullInt64
	var lon, lat sql.NullFloat64
	err := db.SQL().QueryRowContext(ctx, `SELECT name, geometry, lad_code, population, population_year, centroid_lon, centroid_lat
		FROM areas WHERE code = ? AND level = ?`, code, warehouse.CustomLevel).Scan(&a.Name, &wkb, &lad, &a.Population, &popYear, &lon, &lat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("show custom area %s: %w", code, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("show custom area %s: %w", code, err)
	}
	g, err := format.DecodeWKB(wkb)
	if err != nil {
		return nil, fmt.Errorf("show custom area %s: geometry: %w", code, err)
	}
	if a.Geometry, err = areal(g); err != nil {
		return nil, fmt.Errorf("show custom area %s: geometry: %w", code, err)
	}
	a.Centroid = orb.Point{lon.Float64, lat.Float64}
	a.AreaKm2 = geo.Area(a.Geometry) / 1e6
	levels, err := lsoaLevels(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("show custom area %s: %w", code, err)
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT m.lsoa_code, coalesce(l.name, ''), m.lsoa_vintage, coalesce(l.lad_code, ''),
		m.population, l.population_year, m.population_share, m.method,
		l.code IS NULL AS gone, l.population IS DISTINCT FROM m.population AS changed
		FROM area_members m LEFT JOIN areas l ON l.code = m.lsoa_code AND l.vintage = m.lsoa_vintage AND l.level IN ('lsoa11', 'lsoa21')
		WHERE m.area_code = ? AND m.area_level = ?
		ORDER BY m.lsoa_vintage DESC, m.population_share DESC NULLS LAST, m.lsoa_code`, code, warehouse.CustomLevel)
	if err != nil {
		return nil, fmt.Errorf("show custom area %s: %w", code, err)
	}
	defer rows.Close()
	stale := 0
	members := map[int][]Member{}
	for rows.Next() {
		var m Member
		var gone, changed bool
		if err := rows.Scan(&m.Code, &m.Name, &m.Vintage, &m.LADCode, &m.Population, &m.PopulationYear, &m.Share, &m.Method, &gone, &changed); err != nil {
			return nil, fmt.Errorf("show custom area %s: %w", code, err)
		}
		if gone || changed {
			stale++
		}
		members[m.Vintage] = append(members[m.Vintage], m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("show custom area %s: %w", code, err)
	}
	for _, v := range levels {
		if _, ok := members[v.Vintage]; !ok {
			members[v.Vintage] = nil
		}
	}
	for vintage, ms := range members {
		v := Vintage{Level: fmt.Sprintf("lsoa%02d", vintage%100), Vintage: vintage, Members: ms}
		stored := make([]sql.NullFloat64, len(ms))
		for j, m := range ms {
			stored[j] = m.Share
		}
		shares(&v) // for the totals; the shares shown are those saved
		for j := range v.Members {
			v.Members[j].Share = stored[j]
		}
		a.Vintages = append(a.Vintages, v)
	}
	sort.Slice(a.Vintages, func(i, j int) bool { return a.Vintages[i].Vintage > a.Vintages[j].Vintage })
	pop := a.Population
	if err := summarise(ctx, db, a); err != nil {
		return nil, fmt.Errorf("show custom area %s: %w", code, err)
	}
	// The saved row is the record; summarise recomputed the rest.
	a.Population = pop
	if popYear.Valid {
		a.PopulationYear = int(popYear.Int64)
	}
	if lad.String != a.LADCode {
		a.LADCode, a.LADShare = lad.String, 0
		if a.LADName, err = ladName(ctx, db, a.LADCode); err != nil {
			return nil, fmt.Errorf("show custom area %s: %w", code, err)
		}
	}
	if stale > 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%d member LSOAs have been reloaded with different boundaries or population since the area was added: run `commonground areas refresh %s`", stale, code))
	}
	return a, nil
}

// Refresh recomputes a stored area's make-up from its boundary against the
// LSOAs and populations loaded now (after a boundary or population
// dataset was reloaded).
func Refresh(ctx context.Context, db *warehouse.DB, code string) (*Area, error) {
	a, err := Show(ctx, db, code)
	if err != nil {
		return nil, err
	}
	return Add(ctx, db, Spec{Code: a.Code, Name: a.Name, Geometry: a.Geometry})
}

// Summary is one line of List.
type Summary struct {
	Code, Name     string
	LADCode        string
	Population     sql.NullInt64
	PopulationYear sql.NullInt64
	// LSOAs counts members by LSOA vintage (2011, 2021).
	LSOAs map[int]int
}

// List returns every custom area, by name.
func List(ctx context.Context, db *warehouse.DB) ([]Summary, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT a.code, coalesce(a.name, ''), coalesce(a.lad_code, ''), a.population, a.population_year,
		m.lsoa_vintage, count(m.lsoa_code)
		FROM areas a LEFT JOIN area_members m ON m.area_code = a.code AND m.area_level = a.level
		WHERE a.level = ? GROUP BY ALL ORDER BY 2, 1, 6 DESC`, warehouse.CustomLevel)
	if err != nil {
		return nil, fmt.Errorf("list custom areas: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var s Summary
		var vintage sql.NullInt64
		var n int
		if err := rows.Scan(&s.Code, &s.Name, &s.LADCode, &s.Population, &s.PopulationYear, &vintage, &n); err != nil {
			return nil, fmt.Errorf("list custom areas: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Code != s.Code {
			s.LSOAs = map[int]int{}
			out = append(out, s)
		}
		if vintage.Valid {
			out[len(out)-1].LSOAs[int(vintage.Int64)] = n
		}
	}
	return out, rows.Err()
}

// Remove deletes a custom area and its members.
func Remove(ctx context.Context, db *warehouse.DB, code string) error {
	return db.RemoveCustomArea(ctx, code)
}
