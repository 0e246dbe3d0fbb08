package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// GeoReader reads features (GeoJSON, TopoJSON or a zipped shapefile) as Arrow
// record batches with the schema Schema(spec): the spec's columns filled
// from feature properties, then geometry (WKB), the bounding box and the
// centroid, then the file, line and raw columns when the spec asks for them.
// The "line" of a feature is its 1-based index in the file.
//
// Properties map to spec.Columns by alias: NormalizeHeader(alias) ==
// NormalizeHeader(property name); a column without aliases matches its Name.
// Property values become strings before conversion: strings as they are,
// numbers as written in the source (no float round trip), booleans as
// "true"/"false", null as "" and objects or arrays as compact JSON.
//
// A feature whose geometry is missing, null, undecodable or fails
// ValidateGeometry is rejected with Column "geometry"; one whose values fail
// conversion is rejected by the column rules. Rejects are recorded, never
// guessed. Whole-file failures (malformed JSON, an unsupported crs, an
// unknown TopoJSON object) end the read with a *ParseError from Err.
//
// GeoReader implements array.RecordReader. It is not safe for concurrent
// use.
type GeoReader struct {
	refs   atomic.Int64
	file   string
	spec   FileSpec
	opts   options
	schema *arrow.Schema
	src    featureSource
	b      *rowBuilder
	props  propMapper
	vals   []string
	cur    arrow.RecordBatch
	err    error
	done   bool

	rejects []Reject
	stats   Stats
	checked bool // required columns checked against the first feature with properties
	enc     interface{ encoding() string }
	blanks  interface{ blank() int }
}

// featureSource yields features one at a time; next returns io.EOF at the
// end and any other error for a whole-file failure.
type featureSource interface {
	next(f *rawFeature) error
	close() error
}

// crsKind is the coordinate reference system of a feature's coordinates.
type crsKind int

const (
	crsAuto  crsKind = iota // not declared: lon/lat, or BNG if the coordinates can only be BNG
	crsWGS84                // CRS84 / EPSG:4326
	crsBNG                  // EPSG:27700
)

// prop is one feature property, value already rendered as a string.
type prop struct {
	name, value string
}

// rawFeature is one feature as a source decoded it.
type rawFeature struct {
	line   int // 1-based feature index
	props  []prop
	raw    string // RawColumn text (the properties as JSON)
	geom   orb.Geometry
	bad    error // geometry could not be decoded: reject with this reason
	badV   string
	badRow bool // bad is about the feature as a whole (Reject.Column "")
	crs    crsKind
}

func newGeoReader(file string, spec FileSpec, opts []Option, src featureSource) *GeoReader {
	o := newOptions(opts)
	g := &GeoReader{
		file:   file,
		spec:   spec,
		opts:   o,
		schema: Schema(spec),
		src:    src,
		b:      newRowBuilder(o.mem, spec),
		props:  newPropMapper(spec.Columns),
		vals:   make([]string, len(spec.Columns)),
	}
	g.enc, _ = src.(interface{ encoding() string })
	g.blanks, _ = src.(interface{ blank() int })
	g.refs.Store(1)
	return g
}

// Retain increases the reference count by 1.
func (g *GeoReader) Retain() { g.refs.Add(1) }

// Release decreases the reference count by 1; at zero it frees the current
// record batch and the builders and closes the source.
func (g *GeoReader) Release() {
	if g.refs.Add(-1) != 0 {
		return
	}
	if g.cur != nil {
		g.cur.Release()
		g.cur = nil
	}
	if g.b != nil {
		g.b.release()
		g.b = nil
	}
	if g.src != nil {
		_ = g.src.close()
		g.src = nil
	}
}

// Schema returns Schema(spec).
func (g *GeoReader) Schema() *arrow.Schema { return g.schema }

// RecordBatch returns the current batch; it is valid until the next call to
// Next or Release (Retain it to keep it).
func (g *GeoReader) RecordBatch() arrow.RecordBatch { return g.cur }

// Record returns the current batch.
//
// Deprecated: Use RecordBatch instead.
func (g *GeoReader) Record() arrow.RecordBatch { return g.cur }

// Err returns the whole-file error that ended the read (a *ParseError), or
// nil. Check it after Next returns false.
func (g *GeoReader) Err() error { return g.err }

// Rejects returns the rejected features so far (at most the WithMaxRejects
// limit; Stats().Rejected counts them all).
func (g *GeoReader) Rejects() []Reject { return g.rejects }

// Stats returns the counts so far. DataLines counts features; Encoding is
// the text decoder's finding (empty for shapefiles, whose attributes are
// decoded by their code page).
func (g *GeoReader) Stats() Stats {
	s := g.stats
	if g.enc != nil {
		s.Encoding = g.enc.encoding()
	}
	if g.blanks != nil {
		s.Blank = g.blanks.blank()
	}
	return s
}

// Next reads up to the chunk size of features into a new record batch. It
// returns false at the end of input or on a whole-file error (see Err).
func (g *GeoReader) Next() bool {
	if g.cur != nil {
		g.cur.Release()
		g.cur = nil
	}
	if g.err != nil || g.done || g.b == nil {
		return false
	}
	for g.b.len() < g.opts.chunk {
		var f rawFeature
		err := g.src.next(&f)
		if errors.Is(err, io.EOF) {
			g.done = true
			break
		}
		if err != nil {
			g.err = err
			return false
		}
		if err := g.add(&f); err != nil {
			g.err = err
			return false
		}
	}
	if g.b.len() == 0 {
		return false
	}
	g.cur = g.b.newRecord()
	return true
}

// add converts one feature and appends it (or records its reject).
func (g *GeoReader) add(f *rawFeature) error {
	g.stats.DataLines++
	if !g.checked && len(f.props) > 0 {
		g.checked = true
		if err := g.props.checkRequired(f.props); err != nil {
			return &ParseError{File: g.file, Line: f.line, Err: err}
		}
	}
	if f.bad != nil {
		col := colGeometry
		if f.badRow {
			col = ""
		}
		g.reject(Reject{File: g.file, Line: f.line, Column: col, Value: truncateValue(f.badV), Reason: f.bad.Error()})
		return nil
	}
	gv, err := geomValue(f.geom, f.crs)
	if err != nil {
		g.reject(Reject{File: g.file, Line: f.line, Column: colGeometry, Value: geomSummary(f.geom), Reason: err.Error()})
		return nil
	}
	g.props.fill(g.vals, f.props)
	if f.raw == "" && g.spec.RawColumn != "" && len(f.props) > 0 {
		f.raw = propsJSON(f.props)
	}
	if rej := g.b.appendRow(g.vals, rowMeta{File: g.file, Line: f.line, Raw: f.raw, Geom: gv}); rej != nil {
		g.reject(*rej)
		return nil
	}
	g.stats.Rows++
	return nil
}

func (g *GeoReader) reject(r Reject) {
	g.stats.Rejected++
	if len(g.rejects) < g.opts.maxRejects {
		g.rejects = append(g.rejects, r)
	}
}

// geomValue converts a feature's geometry to WGS84 (when it is declared or
// detected as British National Grid), validates it and computes its WKB,
// bound and centroid.
func geomValue(geom orb.Geometry, crs crsKind) (*GeomValue, error) {
	if geom == nil {
		return nil, errors.New("null geometry")
	}
	if crs == crsBNG || (crs == crsAuto && looksLikeBNG(geom.Bound())) {
		geom = transformPoints(geom, bngToWGS84Point)
	}
	if err := ValidateGeometry(geom); err != nil {
		return nil, err
	}
	wkb, err := EncodeWKB(geom)
	if err != nil {
		return nil, err
	}
	return &GeomValue{WKB: wkb, Bound: geom.Bound(), Centroid: Centroid(geom)}, nil
}

// geomSummary names a rejected geometry briefly (type and bound), since the
// coordinates themselves can run to megabytes.
func geomSummary(geom orb.Geometry) string {
	if geom == nil {
		return "null"
	}
	b := geom.Bound()
	return fmt.Sprintf("%s bound [%g %g, %g %g]", geom.GeoJSONType(), b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}

// propMapper maps property names to column positions, caching the
// NormalizeHeader lookups per distinct property name.
type propMapper struct {
	byNorm map[string]int // normalized alias -> column index
	byName map[string]int // property name as seen -> column index (-1: none)
	cols   []Column
}

func newPropMapper(cols []Column) propMapper {
	m := propMapper{byNorm: map[string]int{}, byName: map[string]int{}, cols: cols}
	for i, c := range cols {
		aliases := c.Aliases
		if len(aliases) == 0 {
			aliases = []string{c.Name}
		}
		for _, a := range aliases {
			n := NormalizeHeader(a)
			if _, dup := m.byNorm[n]; !dup && n != "" {
				m.byNorm[n] = i
			}
		}
	}
	return m
}

func (m *propMapper) index(name string) int {
	i, ok := m.byName[name]
	if !ok {
		i = -1
		if j, ok := m.byNorm[NormalizeHeader(name)]; ok {
			i = j
		}
		m.byName[name] = i
	}
	return i
}

// fill sets vals[i] to the first property matching column i ("" if none).
func (m *propMapper) fill(vals []string, props []prop) {
	var seen uint64 // columns already set (first property wins); big specs fall back to a scan
	for i := range vals {
		vals[i] = ""
	}
	for _, p := range props {
		i := m.index(p.name)
		if i < 0 {
			continue
		}
		if i < 64 {
			if seen&(1<<i) != 0 {
				continue
			}
			seen |= 1 << i
		} else if vals[i] != "" {
			continue
		}
		vals[i] = p.value
	}
}

// checkRequired reports the Required columns no property matches.
func (m *propMapper) checkRequired(props []prop) error {
	found := make([]bool, len(m.cols))
	for _, p := range props {
		if i := m.index(p.name); i >= 0 {
			found[i] = true
		}
	}
	var missing []string
	for i, c := range m.cols {
		if c.Required && !found[i] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("required properties not found in the first feature: %s", strings.Join(missing, ", "))
	}
	return nil
}

// NewGeoJSONReader reads a GeoJSON FeatureCollection (or a bare Feature, or
// a bare Geometry as one feature without properties) from r, which first
// goes through Decode (BOM and encoding repair). Features are streamed: the
// top-level "features" array is found wherever it sits among the members
// and decoded one feature at a time (orb/geojson for the geometry, inside a
// recover so that a panic becomes a reject), so the file is never held in
// memory whole. Other members ("name", "bbox", foreign members) are skipped.
//
// Coordinates: the legacy "crs" member may name CRS84 or EPSG:4326 (or be
// absent) for lon/lat, or EPSG:27700 for British National Grid, which is
// converted with BNGToWGS84 (about 5 m accuracy); any other crs is a
// *ParseError. Without a crs, a feature whose coordinates can only be
// National Grid metres (beyond lon/lat range and within the grid's extent,
// 0..800 km by 0..1300 km) is converted as well, silently: nothing in Stats
// records it. Positions beyond two dimensions are dropped.
//
// file names the source in rejects and errors. See GeoReader for the
// property rules. The caller must Release the reader.
func NewGeoJSONReader(r io.Reader, file string, spec FileSpec, opts ...Option) (*GeoReader, error) {
	src, err := newGeoJSONSource(r, file)
	if err != nil {
		return nil, err
	}
	return newGeoReader(file, spec, opts, src), nil
}

// geojsonSource streams features out of a GeoJSON document.
type geojsonSource struct {
	file   string
	text   *Decoder
	dec    *json.Decoder
	crs    crsKind
	n      int               // features returned
	single *json.RawMessage  // a bare Feature or Geometry, returned once
	inArr  bool              // positioned inside the features array
	seen   map[string]string // top-level members read so far (small ones)
}

func newGeoJSONSource(r io.Reader, file string) (*geojsonSource, error) {
	text := Decode(r)
	s := &geojsonSource{file: file, text: text, dec: json.NewDecoder(text), seen: map[string]string{}}
	tok, err := s.dec.Token()
	if err != nil {
		return nil, s.perr(0, fmt.Errorf("not JSON: %w", err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, s.perr(0, fmt.Errorf("not a GeoJSON object: starts with %v", tok))
	}
	members := map[string]json.RawMessage{}
	for s.dec.More() {
		key, err := s.key()
		if err != nil {
			return nil, err
		}
		if key == "features" {
			if err := s.openArray(); err != nil {
				return nil, err
			}
			return s, nil
		}
		var v json.RawMessage
		if err := s.dec.Decode(&v); err != nil {
			return nil, s.perr(0, fmt.Errorf("member %q: %w", key, err))
		}
		if err := s.member(key, v, false); err != nil {
			return nil, err
		}
		members[key] = v
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	// No features array: a bare Feature or Geometry.
	switch t := s.seen["type"]; {
	case t == "Feature" || isGeometryType(t):
		raw, err := json.Marshal(members)
		if err != nil {
			return nil, s.perr(0, err)
		}
		m := json.RawMessage(raw)
		s.single = &m
	case t == "FeatureCollection":
		return nil, s.perr(0, errors.New(`FeatureCollection has no "features" member`))
	default:
		return nil, s.perr(0, fmt.Errorf("not GeoJSON: type %q", t))
	}
	return s, nil
}

func (s *geojsonSource) perr(line int, err error) *ParseError {
	return &ParseError{File: s.file, Line: line, Err: err}
}

func (s *geojsonSource) key() (string, error) {
	tok, err := s.dec.Token()
	if err != nil {
		return "", s.perr(s.n, fmt.Errorf("reading member name: %w", err))
	}
	k, ok := tok.(string)
	if !ok {
		return "", s.perr(s.n, fmt.Errorf("unexpected %v where a member name belongs", tok))
	}
	return k, nil
}

func (s *geojsonSource) openArray() error {
	tok, err := s.dec.Token()
	if err != nil {
		return s.perr(0, fmt.Errorf(`"features": %w`, err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return s.perr(0, fmt.Errorf(`"features" is not an array (%v)`, tok))
	}
	if t, ok := s.seen["type"]; ok && t != "FeatureCollection" {
		return s.perr(0, fmt.Errorf(`type %q has a "features" member`, t))
	}
	s.inArr = true
	return nil
}

// member checks a top-level member other than "features". late is true for
// members after the features array, when features have already been
// returned.
func (s *geojsonSource) member(key string, v json.RawMessage, late bool) error {
	switch key {
	case "type":
		var t string
		if err := json.Unmarshal(v, &t); err != nil {
			return s.perr(0, fmt.Errorf(`"type" is not a string: %s`, truncateValue(string(v))))
		}
		if t == "Topology" {
			return s.perr(0, errors.New("this is TopoJSON, not GeoJSON: read it with NewTopoJSONReader"))
		}
		if late && t != "FeatureCollection" {
			return s.perr(0, fmt.Errorf(`type %q has a "features" member`, t))
		}
		s.seen["type"] = t
	case "crs":
		k, err := parseCRS(v)
		if err != nil {
			return s.perr(0, err)
		}
		// A crs after the features is only informative: BNG coordinates
		// were already detected by their range.
		if !late {
			s.crs = k
		}
	}
	return nil
}

// end consumes the closing brace of the top-level object and checks that
// nothing follows it.
func (s *geojsonSource) end() error {
	if _, err := s.dec.Token(); err != nil {
		return s.perr(s.n, fmt.Errorf("unterminated object: %w", err))
	}
	if tok, err := s.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return s.perr(s.n, fmt.Errorf("after the top-level object: %w", err))
		}
		return s.perr(s.n, fmt.Errorf("data after the top-level object: %v", tok))
	}
	return nil
}

func (s *geojsonSource) next(f *rawFeature) error {
	if s.single != nil {
		raw := *s.single
		s.single = nil
		s.n++
		decodeGeoJSONFeature(raw, s.n, s.crs, f)
		return nil
	}
	if !s.inArr {
		return io.EOF
	}
	if !s.dec.More() {
		if _, err := s.dec.Token(); err != nil { // ']'
			return s.perr(s.n, fmt.Errorf("unterminated features array: %w", err))
		}
		s.inArr = false
		for s.dec.More() {
			key, err := s.key()
			if err != nil {
				return err
			}
			var v json.RawMessage
			if err := s.dec.Decode(&v); err != nil {
				return s.perr(s.n, fmt.Errorf("member %q: %w", key, err))
			}
			if key == "features" {
				return s.perr(s.n, errors.New(`second "features" member`))
			}
			if err := s.member(key, v, true); err != nil {
				return err
			}
		}
		if err := s.end(); err != nil {
			return err
		}
		return io.EOF
	}
	// Decoding straight from the stream validates and decodes in one pass
	// (no intermediate copy); a value of the wrong shape is consumed whole,
	// so it is a reject, while a syntax error ends the file.
	var env featureEnvelope
	err := s.dec.Decode(&env)
	var te *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &te) {
		return s.perr(s.n+1, fmt.Errorf("feature %d: %w", s.n+1, err))
	}
	s.n++
	featureFromEnvelope(&env, err, s.n, s.crs, f)
	return nil
}

func (s *geojsonSource) close() error { return nil }

func (s *geojsonSource) encoding() string { return s.text.Encoding() }

// featureEnvelope is a GeoJSON feature with its parts left undecoded.
type featureEnvelope struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
	// A bare geometry has these instead.
	Coordinates json.RawMessage `json:"coordinates"`
	Geometries  json.RawMessage `json:"geometries"`
}

// decodeGeoJSONFeature fills f from one feature (or bare geometry) object.
// Problems become f.bad; it never fails.
func decodeGeoJSONFeature(raw []byte, line int, crs crsKind, f *rawFeature) {
	var env featureEnvelope
	err := json.Unmarshal(raw, &env)
	featureFromEnvelope(&env, err, line, crs, f)
}

// featureFromEnvelope fills f from a decoded envelope; err is the envelope's
// decoding error (a feature of the wrong shape), if any.
func featureFromEnvelope(env *featureEnvelope, err error, line int, crs crsKind, f *rawFeature) {
	*f = rawFeature{line: line, crs: crs}
	if err != nil {
		f.bad, f.badV, f.badRow = fmt.Errorf("feature is not a JSON object of the right shape: %v", err), env.Type, true
		return
	}
	geomRaw := env.Geometry
	switch {
	case env.Type == "Feature":
	case isGeometryType(env.Type):
		// A bare geometry where a feature belongs: rebuild it.
		geomRaw, _ = json.Marshal(struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates,omitempty"`
			Geometries  json.RawMessage `json:"geometries,omitempty"`
		}{env.Type, env.Coordinates, env.Geometries})
	default:
		f.bad, f.badV, f.badRow = fmt.Errorf("not a Feature (type %q)", env.Type), env.Type, true
		return
	}
	props, err := parseProps(env.Properties)
	if err != nil {
		f.bad, f.badV, f.badRow = fmt.Errorf("properties: %v", err), string(env.Properties), true
		return
	}
	f.props = props
	if len(env.Properties) > 0 && !bytes.Equal(env.Properties, []byte("null")) {
		var b bytes.Buffer
		if json.Compact(&b, env.Properties) == nil {
			f.raw = b.String()
		}
	}
	if len(geomRaw) == 0 || bytes.Equal(geomRaw, []byte("null")) {
		f.bad, f.badV = errors.New("null geometry"), "null"
		return
	}
	f.geom, f.bad = unmarshalGeometry(geomRaw)
	if f.bad != nil {
		f.badV = string(geomRaw)
	}
}

// unmarshalGeometry decodes a GeoJSON geometry with orb, turning a panic in
// the decoder into an error.
func unmarshalGeometry(raw []byte) (g orb.Geometry, err error) {
	defer func() {
		if p := recover(); p != nil {
			g, err = nil, fmt.Errorf("geometry decoder panicked: %v", p)
		}
	}()
	gg, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid geometry: %w", err)
	}
	if gg.Coordinates == nil && len(gg.Geometries) == 0 {
		return nil, errors.New("geometry has no coordinates")
	}
	return gg.Geometry(), nil
}

func isGeometryType(t string) bool {
	switch t {
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		return true
	}
	return false
}

// parseProps reads a properties object in document order, rendering each
// value as a string (see GeoReader). null or absent properties give none.
func parseProps(raw json.RawMessage) ([]prop, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not an object")
	}
	var props []prop
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		props = append(props, prop{name: name, value: jsonValueString(v)})
	}
	return props, nil
}

// propsJSON renders properties as a JSON object of strings, in order (the
// raw column for sources without JSON properties).
func propsJSON(props []prop) string {
	b := []byte{'{'}
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(p.name)
		v, _ := json.Marshal(p.value)
		b = append(append(append(b, k...), ':'), v...)
	}
	return string(append(b, '}'))
}

// jsonValueString renders one JSON value as a cell string.
func jsonValueString(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case 'n':
		return ""
	case 't', 'f':
		return string(v)
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, v) == nil {
			return b.String()
		}
	}
	return string(v) // numbers exactly as written
}

// crsCode finds an EPSG code at the end of a crs name such as "EPSG:27700",
// "urn:ogc:def:crs:EPSG::27700" or "http://www.opengis.net/def/crs/EPSG/0/27700".
var crsCode = regexp.MustCompile(`(?i)epsg\D*?(\d+)\s*$`)

// parseCRS reads a legacy GeoJSON "crs" member (named or old-style EPSG).
func parseCRS(v json.RawMessage) (crsKind, error) {
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return crsWGS84, nil
	}
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(v, &c); err != nil {
		return crsAuto, fmt.Errorf("unreadable crs member %s: %w", truncateValue(string(v)), err)
	}
	name := c.Properties.Name
	if strings.EqualFold(c.Type, "EPSG") && len(c.Properties.Code) > 0 {
		name = "EPSG:" + strings.Trim(string(c.Properties.Code), `"`)
	}
	return crsFromName(name)
}

func crsFromName(name string) (crsKind, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if strings.HasSuffix(n, "crs84") || strings.HasSuffix(n, "crs:84") || n == "wgs84" {
		return crsWGS84, nil
	}
	if m := crsCode.FindStringSubmatch(n); m != nil {
		code, _ := strconv.Atoi(m[1])
		switch code {
		case 4326:
			return crsWGS84, nil
		case 27700:
			return crsBNG, nil
		}
	}
	return crsAuto, fmt.Errorf("unsupported crs %q (want CRS84, EPSG:4326 or EPSG:27700)", name)
}
