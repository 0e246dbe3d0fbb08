package format

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// NewShapefileReader reads an ESRI shapefile: zipPath is a zip archive
// holding exactly one .shp with its .dbf (and optionally .prj and .cpg) of
// the same name, or the path of a .shp whose companions sit beside it. The
// features come out with the same columns as the GeoJSON reader (see
// GeoReader); the DBF fields are the properties, and the "line" of a
// feature is its 1-based record number. file names the source in rejects
// and errors.
//
// Shapes: Polygon, PolygonZ and PolygonM (5, 15, 25; Z and M are dropped)
// are assembled from their rings, clockwise rings being outer rings and
// counter-clockwise rings holes placed in the outer ring that contains them;
// one outer ring gives a Polygon, several a MultiPolygon. Points,
// MultiPoints and PolyLines (and their Z and M forms) are read as well. A
// null shape is a reject. Records deleted in the DBF are skipped and counted
// in Stats.Blank.
//
// Attributes: C fields are decoded by the code page the .cpg names (UTF-8,
// Windows-1252 or ISO-8859-1), ISO-8859-1 when there is no .cpg; an
// unknown code page is a *ParseError. N and F fields are passed as written
// (an overflow of '*' is empty), L fields as "true"/"false" ("?" is empty),
// D fields as yyyymmdd; memo fields are empty.
//
// Coordinates: when the .prj describes the British National Grid
// (Transverse Mercator on the Airy 1830 spheroid, a = 6377563.396, with the
// National Grid's origin, scale and false origin), whatever it is called,
// coordinates are converted with BNGToWGS84. A .prj with geographic
// coordinates on WGS84/ETRS89 is used as is; any other projection is a
// *ParseError. Without a .prj, coordinates are taken as lon/lat unless they
// can only be National Grid metres, as in NewGeoJSONReader.
//
// The caller must Release the reader, which closes the files.
func NewShapefileReader(zipPath string, file string, spec FileSpec, opts ...Option) (*GeoReader, error) {
	src, err := openShapefile(zipPath, file)
	if err != nil {
		return nil, err
	}
	return newGeoReader(file, spec, opts, src), nil
}

// shpSource streams shapes and DBF records in step.
type shpSource struct {
	file    string
	closers []io.Closer
	shp     *bufio.Reader
	dbf     *dbfReader
	crs     crsKind
	n       int // shp records read
	deleted int
	buf     []byte
}

// openShapefile finds the members and reads the headers.
func openShapefile(p, file string) (_ *shpSource, err error) {
	s := &shpSource{file: file}
	defer func() {
		if err != nil {
			_ = s.close()
		}
	}()
	open, err := s.members(p)
	if err != nil {
		return nil, err
	}
	shp, err := open(".shp")
	if err != nil {
		return nil, s.perr(0, err)
	}
	s.shp = bufio.NewReaderSize(shp, 64<<10)
	if err := s.readHeader(); err != nil {
		return nil, err
	}

	dec := decodeLatin1
	if cpg, err := open(".cpg"); err == nil {
		b, err := io.ReadAll(io.LimitReader(cpg, 256))
		if err != nil {
			return nil, s.perr(0, fmt.Errorf(".cpg: %w", err))
		}
		if dec, err = codePage(string(b)); err != nil {
			return nil, s.perr(0, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, s.perr(0, err)
	}

	if prj, err := open(".prj"); err == nil {
		b, err := io.ReadAll(io.LimitReader(prj, 64<<10))
		if err != nil {
			return nil, s.perr(0, fmt.Errorf(".prj: %w", err))
		}
		if s.crs, err = prjCRS(string(b)); err != nil {
			return nil, s.perr(0, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, s.perr(0, err)
	}

	dbf, err := open(".dbf")
	if err != nil {
		return nil, s.perr(0, fmt.Errorf("no .dbf beside the .shp: %w", err))
	}
	if s.dbf, err = newDBFReader(bufio.NewReaderSize(dbf, 64<<10), dec); err != nil {
		return nil, s.perr(0, fmt.Errorf(".dbf: %w", err))
	}
	return s, nil
}

// members returns an opener for the shapefile's companion files by
// extension (os.ErrNotExist when absent); the files it opens are closed by
// s.close.
func (s *shpSource) members(p string) (func(ext string) (io.Reader, error), error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if !bytes.HasPrefix(head[:n], magicZip) {
		// A bare .shp with its companions beside it.
		stem := strings.TrimSuffix(p, filepath.Ext(p))
		return func(ext string) (io.Reader, error) {
			for _, e := range []string{ext, strings.ToUpper(ext)} {
				f, err := os.Open(stem + e)
				if err == nil {
					s.closers = append(s.closers, f)
					return f, nil
				}
				if !errors.Is(err, os.ErrNotExist) {
					return nil, err
				}
			}
			return nil, fmt.Errorf("%s%s: %w", filepath.Base(stem), ext, os.ErrNotExist)
		}, nil
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, s.perr(0, fmt.Errorf("opening zip: %w", err))
	}
	s.closers = append(s.closers, zr)
	var shps []*zip.File
	for _, zf := range zr.File {
		if skipZipMember(zf) {
			continue
		}
		if strings.EqualFold(path.Ext(zf.Name), ".shp") {
			shps = append(shps, zf)
		}
	}
	switch len(shps) {
	case 0:
		return nil, s.perr(0, errors.New("zip holds no .shp file"))
	case 1:
	default:
		names := make([]string, len(shps))
		for i, zf := range shps {
			names[i] = zf.Name
		}
		return nil, s.perr(0, fmt.Errorf("zip holds %d shapefiles (%s); want one", len(shps), strings.Join(names, ", ")))
	}
	stem := strings.TrimSuffix(shps[0].Name, path.Ext(shps[0].Name))
	return func(ext string) (io.Reader, error) {
		for _, zf := range zr.File {
			name := zf.Name
			if strings.EqualFold(path.Ext(name), ext) && strings.EqualFold(strings.TrimSuffix(name, path.Ext(name)), stem) {
				rc, err := zf.Open()
				if err != nil {
					return nil, err
				}
				s.closers = append(s.closers, rc)
				return rc, nil
			}
		}
		return nil, fmt.Errorf("%s%s: %w", path.Base(stem), ext, os.ErrNotExist)
	}, nil
}

func (s *shpSource) perr(line int, err error) *ParseError {
	return &ParseError{File: s.file, Line: line, Err: err}
}

func (s *shpSource) close() error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

func (s *shpSource) blank() int { return s.deleted }

// readHeader checks the 100-byte main file header.
func (s *shpSource) readHeader() error {
	var h [100]byte
	if _, err := io.ReadFull(s.shp, h[:]); err != nil {
		return s.perr(0, fmt.Errorf(".shp header: %w", err))
	}
	if code := binary.BigEndian.Uint32(h[0:4]); code != 9994 {
		return s.perr(0, fmt.Errorf("not a shapefile (file code %d, want 9994)", code))
	}
	if v := binary.LittleEndian.Uint32(h[28:32]); v != 1000 {
		return s.perr(0, fmt.Errorf("shapefile version %d, want 1000", v))
	}
	return nil
}

func (s *shpSource) next(f *rawFeature) error {
	for {
		var h [8]byte
		if _, err := io.ReadFull(s.shp, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				if s.dbf.remaining() > 0 {
					return s.perr(s.n, fmt.Errorf(".dbf has %d more records than the .shp", s.dbf.remaining()))
				}
				return io.EOF
			}
			return s.perr(s.n+1, fmt.Errorf(".shp record header: %w", err))
		}
		s.n++
		words := int64(binary.BigEndian.Uint32(h[4:8]))
		if words < 2 || words > 1<<27 {
			return s.perr(s.n, fmt.Errorf(".shp record %d: content length %d words", s.n, words))
		}
		if cap(s.buf) < int(words*2) {
			s.buf = make([]byte, words*2)
		}
		content := s.buf[:words*2]
		if _, err := io.ReadFull(s.shp, content); err != nil {
			return s.perr(s.n, fmt.Errorf(".shp record %d truncated: %w", s.n, err))
		}
		props, deleted, err := s.dbf.next()
		if err != nil {
			return s.perr(s.n, fmt.Errorf(".dbf record %d: %w", s.n, err))
		}
		if deleted {
			s.deleted++
			continue
		}
		*f = rawFeature{line: s.n, crs: s.crs, props: props}
		f.geom, f.bad = shapeGeometry(content)
		if f.bad != nil {
			f.badV = fmt.Sprintf("shape type %d", int32(binary.LittleEndian.Uint32(content[0:4])))
		}
		return nil
	}
}

// shapeGeometry decodes one .shp record's content.
func shapeGeometry(c []byte) (orb.Geometry, error) {
	le := binary.LittleEndian
	typ := le.Uint32(c[0:4])
	short := fmt.Errorf("shape record too short for type %d (%d bytes)", typ, len(c))
	point := func(off int) orb.Point {
		return orb.Point{math.Float64frombits(le.Uint64(c[off:])), math.Float64frombits(le.Uint64(c[off+8:]))}
	}
	switch typ {
	case 0:
		return nil, errors.New("null geometry")
	case 1, 11, 21: // Point, PointZ, PointM
		if len(c) < 20 {
			return nil, short
		}
		return point(4), nil
	case 8, 18, 28: // MultiPoint
		if len(c) < 40 {
			return nil, short
		}
		n := int(le.Uint32(c[36:40]))
		if n < 0 || n > (len(c)-40)/16 {
			return nil, short
		}
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			mp[i] = point(40 + 16*i)
		}
		return mp, nil
	case 3, 13, 23, 5, 15, 25: // PolyLine, Polygon
		if len(c) < 44 {
			return nil, short
		}
		nParts, nPoints := int(le.Uint32(c[36:40])), int(le.Uint32(c[40:44]))
		if nParts < 1 || nParts > (len(c)-44)/4 || nPoints < 0 || nPoints > (len(c)-44-4*nParts)/16 {
			return nil, short
		}
		pts := 44 + 4*nParts
		parts := make([][]orb.Point, nParts)
		for i := range parts {
			start := int(le.Uint32(c[44+4*i:]))
			end := nPoints
			if i+1 < nParts {
				end = int(le.Uint32(c[44+4*(i+1):]))
			}
			if start < 0 || start > end || end > nPoints {
				return nil, fmt.Errorf("part %d spans points %d..%d of %d", i+1, start, end, nPoints)
			}
			ps := make([]orb.Point, end-start)
			for j := range ps {
				ps[j] = point(pts + 16*(start+j))
			}
			parts[i] = ps
		}
		if typ%10 == 3 {
			if len(parts) == 1 {
				return orb.LineString(parts[0]), nil
			}
			ml := make(orb.MultiLineString, len(parts))
			for i, p := range parts {
				ml[i] = p
			}
			return ml, nil
		}
		return assemblePolygon(parts), nil
	}
	return nil, fmt.Errorf("unsupported shape type %d", typ)
}

// assemblePolygon groups shapefile rings: clockwise rings are outer rings,
// the others holes, each put in the first outer ring containing its first
// vertex (a hole inside none becomes an outer ring itself). If no ring is
// clockwise the winding cannot be trusted and every ring is an outer ring.
func assemblePolygon(parts [][]orb.Point) orb.Geometry {
	var outers []orb.Polygon
	var holes []orb.Ring
	for _, p := range parts {
		r := orb.Ring(p)
		if signedArea(r) <= 0 {
			outers = append(outers, orb.Polygon{r})
		} else {
			holes = append(holes, r)
		}
	}
	if len(outers) == 0 {
		for _, h := range holes {
			outers = append(outers, orb.Polygon{h})
		}
		holes = nil
	}
	for _, h := range holes {
		placed := false
		for i := range outers {
			if len(h) > 0 && ringContains(outers[i][0], h[0]) {
				outers[i] = append(outers[i], h)
				placed = true
				break
			}
		}
		if !placed {
			outers = append(outers, orb.Polygon{h})
		}
	}
	if len(outers) == 1 {
		return outers[0]
	}
	return orb.MultiPolygon(outers)
}

// signedArea is the shoelace area: positive counter-clockwise.
func signedArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	var a float64
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < len(r); i++ {
		a += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return a / 2
}

// ringContains is an even-odd ray cast.
func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// prjCRS classifies a .prj WKT: British National Grid by its parameters
// (not its name or any EPSG code), geographic WGS84/ETRS89, or unsupported.
func prjCRS(wkt string) (crsKind, error) {
	w := strings.TrimSpace(wkt)
	if w == "" {
		return crsAuto, nil
	}
	sph := wktSpheroid.FindStringSubmatch(w)
	var a float64
	if sph != nil {
		a, _ = strconv.ParseFloat(sph[1], 64)
	}
	up := strings.ToUpper(w)
	if !strings.HasPrefix(up, "PROJCS") && !strings.HasPrefix(up, "PROJCRS") {
		if strings.HasPrefix(up, "GEOGCS") && math.Abs(a-wgsA) < 0.01 {
			return crsWGS84, nil
		}
		return crsAuto, fmt.Errorf("unsupported .prj coordinate system: %.120s", w)
	}
	params := map[string]float64{}
	for _, m := range wktParam.FindAllStringSubmatch(w, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			params[strings.ToLower(m[1])] = v
		}
	}
	isBNG := strings.Contains(strings.ToLower(w), "transverse_mercator") &&
		math.Abs(a-airyA) < 0.01 &&
		params["latitude_of_origin"] == 49 && params["central_meridian"] == -2 &&
		math.Abs(params["scale_factor"]-bngF0) < 1e-9 &&
		params["false_easting"] == bngE0 && params["false_northing"] == bngN0
	if isBNG {
		return crsBNG, nil
	}
	return crsAuto, fmt.Errorf("unsupported .prj projection (only the British National Grid is converted): %.120s", w)
}

var (
	wktSpheroid = regexp.MustCompile(`(?i)(?:SPHEROID|ELLIPSOID)\s*\[\s*"[^"]*"\s*,\s*([-+0-9.eE]+)`)
	wktParam    = regexp.MustCompile(`(?i)PARAMETER\s*\[\s*"([^"]+)"\s*,\s*([-+0-9.eE]+)`)
)

// codePage returns the decoder for a .cpg code page name.
func codePage(name string) (func([]byte) string, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	n = strings.NewReplacer("-", "", "_", "", " ", "").Replace(n)
	switch n {
	case "UTF8", "65001":
		return decodeUTF8, nil
	case "1252", "CP1252", "WINDOWS1252", "ANSI1252":
		return decodeCP1252, nil
	case "", "88591", "ISO88591", "LATIN1", "28591":
		return decodeLatin1, nil
	}
	return nil, fmt.Errorf("unsupported .cpg code page %q (want UTF-8, 1252 or ISO-8859-1)", strings.TrimSpace(name))
}

func decodeLatin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func decodeCP1252(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp1252Rune(c))
		}
	}
	return sb.String()
}

// decodeUTF8 passes valid UTF-8 and decodes a stray invalid byte as
// Windows-1252, as Decode does for text files.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			sb.WriteRune(cp1252Rune(b[0]))
			b = b[1:]
			continue
		}
		sb.WriteRune(r)
		b = b[size:]
	}
	return sb.String()
}

// dbfReader reads dBase III records in order.
type dbfReader struct {
	r      *bufio.Reader
	dec    func([]byte) string
	fields []dbfField
	n, got int // records declared, records read
	rec    []byte
}

type dbfField struct {
	name     string
	typ      byte
	off, len int
}

func newDBFReader(r *bufio.Reader, dec func([]byte) string) (*dbfReader, error) {
	var h [32]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	d := &dbfReader{r: r, dec: dec, n: int(binary.LittleEndian.Uint32(h[4:8]))}
	hlen, rlen := int(binary.LittleEndian.Uint16(h[8:10])), int(binary.LittleEndian.Uint16(h[10:12]))
	if hlen < 33 || rlen < 1 {
		return nil, fmt.Errorf("header length %d, record length %d", hlen, rlen)
	}
	desc := make([]byte, hlen-32)
	if _, err := io.ReadFull(r, desc); err != nil {
		return nil, fmt.Errorf("field descriptors: %w", err)
	}
	off := 1 // deletion flag
	for i := 0; i+32 <= len(desc) && desc[i] != 0x0D; i += 32 {
		fd := desc[i : i+32]
		name := fd[:11]
		if k := bytes.IndexByte(name, 0); k >= 0 {
			name = name[:k]
		}
		f := dbfField{name: dec(bytes.TrimSpace(name)), typ: fd[11], off: off, len: int(fd[16])}
		if f.typ == 'C' {
			f.len += int(fd[17]) << 8 // long character fields use the decimal byte
		}
		off += f.len
		d.fields = append(d.fields, f)
	}
	if off > rlen {
		return nil, fmt.Errorf("fields need %d bytes, records have %d", off, rlen)
	}
	d.rec = make([]byte, rlen)
	return d, nil
}

func (d *dbfReader) remaining() int { return d.n - d.got }

// next reads one record's properties; deleted reports a record marked '*'.
func (d *dbfReader) next() (props []prop, deleted bool, err error) {
	if d.got >= d.n {
		return nil, false, errors.New("no more .dbf records than the .shp has shapes")
	}
	if _, err := io.ReadFull(d.r, d.rec); err != nil {
		return nil, false, err
	}
	d.got++
	if d.rec[0] == '*' {
		return nil, true, nil
	}
	props = make([]prop, len(d.fields))
	for i, f := range d.fields {
		raw := d.rec[f.off : f.off+f.len]
		var v string
		switch f.typ {
		case 'C':
			v = d.dec(bytes.TrimRight(raw, " \x00"))
		case 'N', 'F':
			t := bytes.TrimSpace(raw)
			if len(bytes.Trim(t, "*")) > 0 {
				v = string(t)
			}
		case 'L':
			t := string(bytes.TrimSpace(raw))
			switch t {
			case "T", "t", "Y", "y":
				v = "true"
			case "F", "f", "N", "n":
				v = "false"
			}
		case 'D':
			t := string(bytes.TrimSpace(raw))
			if t != "00000000" {
				v = t
			}
		case 'M', 'B', 'G':
			// memo/binary/OLE: pointers into a .dbt we do not read
		default:
			v = d.dec(bytes.TrimSpace(raw))
		}
		props[i] = prop{name: f.name, value: v}
	}
	return props, false, nil
}
