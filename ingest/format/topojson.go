package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/paulmach/orb"
)

// NewTopoJSONReader reads a TopoJSON Topology from r (through Decode) and
// returns the features of one of its objects with the same columns as the
// GeoJSON reader (see GeoReader). object names the object in "objects"; ""
// means the first in document order. A GeometryCollection object gives one
// feature per member geometry; any other object is one feature.
//
// Arcs are decoded first: with a "transform" they are quantized and
// delta-encoded (each position adds to the previous one, then x = a*scale[0]
// + translate[0], y likewise); without one they are absolute. A geometry's
// rings and lines are stitched from arc indices, a negative index ~i meaning
// arc i reversed, dropping the joint point each arc repeats from the one
// before. Point and MultiPoint coordinates are quantized but not
// delta-encoded. Polygon, MultiPolygon, LineString, MultiLineString, Point,
// MultiPoint and nested GeometryCollection geometries are supported; a
// geometry of type null is a feature with a null geometry (a reject).
//
// A "crs" member on the topology or on the object is handled as in
// NewGeoJSONReader. The topology is read whole (they are compact). The
// caller must Release the reader.
func NewTopoJSONReader(r io.Reader, file string, spec FileSpec, object string, opts ...Option) (*GeoReader, error) {
	src, err := newTopoSource(r, file, object)
	if err != nil {
		return nil, err
	}
	return newGeoReader(file, spec, opts, src), nil
}

// isTopology matches the Topology type member.
var isTopology = regexp.MustCompile(`"type"\s*:\s*"Topology"`)

// IsTopoJSON reports whether the first bytes of a file look like a TopoJSON
// topology: "type": "Topology" within the first 4 KB.
func IsTopoJSON(head []byte) bool {
	if len(head) > 4096 {
		head = head[:4096]
	}
	return isTopology.Match(head)
}

type topoDoc struct {
	Type      string          `json:"type"`
	Transform *topoTransform  `json:"transform"`
	Arcs      [][][]float64   `json:"arcs"`
	Objects   json.RawMessage `json:"objects"`
	CRS       json.RawMessage `json:"crs"`
}

type topoTransform struct {
	Scale     [2]float64 `json:"scale"`
	Translate [2]float64 `json:"translate"`
}

type topoGeom struct {
	Type        *string           `json:"type"`
	Properties  json.RawMessage   `json:"properties"`
	Arcs        json.RawMessage   `json:"arcs"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
	CRS         json.RawMessage   `json:"crs"`
}

// topoSource yields the features of one TopoJSON object.
type topoSource struct {
	file    string
	text    *Decoder
	tf      *topoTransform
	arcs    []orb.LineString
	members []json.RawMessage // one per feature
	crs     crsKind
	n       int
}

func newTopoSource(r io.Reader, file string, object string) (*topoSource, error) {
	text := Decode(r)
	s := &topoSource{file: file, text: text}
	data, err := io.ReadAll(text)
	if err != nil {
		return nil, s.perr(fmt.Errorf("reading: %w", err))
	}
	var doc topoDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, s.perr(fmt.Errorf("not a TopoJSON topology: %w", err))
	}
	if doc.Type != "Topology" {
		return nil, s.perr(fmt.Errorf("not a TopoJSON topology: type %q", doc.Type))
	}
	if doc.Transform != nil {
		if doc.Transform.Scale[0] == 0 || doc.Transform.Scale[1] == 0 {
			return nil, s.perr(errors.New("transform has a zero scale"))
		}
		s.tf = doc.Transform
	}
	if s.crs, err = parseCRS(doc.CRS); err != nil {
		return nil, s.perr(err)
	}
	if len(doc.CRS) == 0 {
		s.crs = crsAuto
	}
	s.arcs = make([]orb.LineString, len(doc.Arcs))
	for i, a := range doc.Arcs {
		ls := make(orb.LineString, len(a))
		var x, y float64
		for j, p := range a {
			if len(p) < 2 {
				return nil, s.perr(fmt.Errorf("arc %d position %d has %d coordinates", i, j, len(p)))
			}
			if s.tf != nil {
				x, y = x+p[0], y+p[1]
				ls[j] = orb.Point{x*s.tf.Scale[0] + s.tf.Translate[0], y*s.tf.Scale[1] + s.tf.Translate[1]}
			} else {
				ls[j] = orb.Point{p[0], p[1]}
			}
		}
		s.arcs[i] = ls
	}

	names, objs, err := topoObjects(doc.Objects)
	if err != nil {
		return nil, s.perr(err)
	}
	if len(names) == 0 {
		return nil, s.perr(errors.New("topology has no objects"))
	}
	k := 0
	if object != "" {
		k = -1
		for i, n := range names {
			if n == object {
				k = i
			}
		}
		if k < 0 {
			return nil, s.perr(fmt.Errorf("no object %q in topology (objects: %s)", object, strings.Join(names, ", ")))
		}
	}
	var obj topoGeom
	if err := json.Unmarshal(objs[k], &obj); err != nil {
		return nil, s.perr(fmt.Errorf("object %q: %w", names[k], err))
	}
	if len(obj.CRS) > 0 {
		if s.crs, err = parseCRS(obj.CRS); err != nil {
			return nil, s.perr(err)
		}
	}
	if obj.Type != nil && *obj.Type == "GeometryCollection" {
		s.members = obj.Geometries
	} else {
		s.members = []json.RawMessage{objs[k]}
	}
	return s, nil
}

// topoObjects returns the members of "objects" in document order.
func topoObjects(raw json.RawMessage) ([]string, []json.RawMessage, error) {
	if len(raw) == 0 {
		return nil, nil, errors.New(`topology has no "objects" member`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New(`"objects" is not an object`)
	}
	var names []string
	var vals []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		name, _ := tok.(string)
		names = append(names, name)
		vals = append(vals, v)
	}
	return names, vals, nil
}

func (s *topoSource) perr(err error) *ParseError {
	return &ParseError{File: s.file, Err: err}
}

func (s *topoSource) next(f *rawFeature) error {
	if s.n >= len(s.members) {
		return io.EOF
	}
	raw := s.members[s.n]
	s.n++
	*f = rawFeature{line: s.n, crs: s.crs}
	var g topoGeom
	if err := json.Unmarshal(raw, &g); err != nil {
		f.bad, f.badV, f.badRow = fmt.Errorf("geometry object: %v", err), string(raw), true
		return nil
	}
	props, err := parseProps(g.Properties)
	if err != nil {
		f.bad, f.badV, f.badRow = fmt.Errorf("properties: %v", err), string(g.Properties), true
		return nil
	}
	f.props = props
	if len(g.Properties) > 0 && !bytes.Equal(g.Properties, []byte("null")) {
		var b bytes.Buffer
		if json.Compact(&b, g.Properties) == nil {
			f.raw = b.String()
		}
	}
	if g.Type == nil {
		f.bad, f.badV = errors.New("null geometry"), "null"
		return nil
	}
	f.geom, f.bad = s.geometry(&g, 0)
	if f.bad != nil {
		f.badV = *g.Type
	}
	return nil
}

func (s *topoSource) close() error { return nil }

func (s *topoSource) encoding() string { return s.text.Encoding() }

// point converts a (quantized) position to coordinates.
func (s *topoSource) point(p []float64) (orb.Point, error) {
	if len(p) < 2 {
		return orb.Point{}, fmt.Errorf("position has %d coordinates", len(p))
	}
	if s.tf != nil {
		return orb.Point{p[0]*s.tf.Scale[0] + s.tf.Translate[0], p[1]*s.tf.Scale[1] + s.tf.Translate[1]}, nil
	}
	return orb.Point{p[0], p[1]}, nil
}

// line stitches arcs into one line: arc ~i is arc i reversed, and each arc
// after the first starts with the point the previous one ended on, which is
// dropped.
func (s *topoSource) line(idx []int) (orb.LineString, error) {
	n := 0
	for _, i := range idx {
		j := i
		if i < 0 {
			j = ^i
		}
		if j >= len(s.arcs) {
			return nil, fmt.Errorf("arc index %d out of range (%d arcs)", i, len(s.arcs))
		}
		n += len(s.arcs[j])
	}
	ls := make(orb.LineString, 0, n)
	for k, i := range idx {
		a := s.arcs[max(i, ^i)]
		for m := range a {
			p := a[m]
			if i < 0 {
				p = a[len(a)-1-m]
			}
			if k > 0 && m == 0 && len(ls) > 0 {
				continue
			}
			ls = append(ls, p)
		}
	}
	return ls, nil
}

func (s *topoSource) polygon(rings [][]int) (orb.Polygon, error) {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		ls, err := s.line(r)
		if err != nil {
			return nil, err
		}
		p[i] = orb.Ring(ls)
	}
	return p, nil
}

// geometry builds one TopoJSON geometry object.
func (s *topoSource) geometry(g *topoGeom, depth int) (orb.Geometry, error) {
	if g.Type == nil {
		return nil, errors.New("null geometry")
	}
	typ := *g.Type
	switch typ {
	case "Point":
		var c []float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("Point coordinates: %v", err)
		}
		return s.point(c)
	case "MultiPoint":
		var cs [][]float64
		if err := json.Unmarshal(g.Coordinates, &cs); err != nil {
			return nil, fmt.Errorf("MultiPoint coordinates: %v", err)
		}
		mp := make(orb.MultiPoint, len(cs))
		for i, c := range cs {
			p, err := s.point(c)
			if err != nil {
				return nil, err
			}
			mp[i] = p
		}
		return mp, nil
	case "LineString":
		var a []int
		if err := json.Unmarshal(g.Arcs, &a); err != nil {
			return nil, fmt.Errorf("LineString arcs: %v", err)
		}
		return s.line(a)
	case "MultiLineString":
		var as [][]int
		if err := json.Unmarshal(g.Arcs, &as); err != nil {
			return nil, fmt.Errorf("MultiLineString arcs: %v", err)
		}
		ml := make(orb.MultiLineString, len(as))
		for i, a := range as {
			ls, err := s.line(a)
			if err != nil {
				return nil, err
			}
			ml[i] = ls
		}
		return ml, nil
	case "Polygon":
		var rs [][]int
		if err := json.Unmarshal(g.Arcs, &rs); err != nil {
			return nil, fmt.Errorf("Polygon arcs: %v", err)
		}
		return s.polygon(rs)
	case "MultiPolygon":
		var ps [][][]int
		if err := json.Unmarshal(g.Arcs, &ps); err != nil {
			return nil, fmt.Errorf("MultiPolygon arcs: %v", err)
		}
		mp := make(orb.MultiPolygon, len(ps))
		for i, rs := range ps {
			p, err := s.polygon(rs)
			if err != nil {
				return nil, err
			}
			mp[i] = p
		}
		return mp, nil
	case "GeometryCollection":
		if depth > 16 {
			return nil, errors.New("GeometryCollection nested too deeply")
		}
		c := make(orb.Collection, 0, len(g.Geometries))
		for _, raw := range g.Geometries {
			var m topoGeom
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, fmt.Errorf("GeometryCollection member: %v", err)
			}
			mg, err := s.geometry(&m, depth+1)
			if err != nil {
				return nil, err
			}
			c = append(c, mg)
		}
		return c, nil
	}
	return nil, fmt.Errorf("unsupported TopoJSON geometry type %q", typ)
}
