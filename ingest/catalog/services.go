package catalog

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"

	"commonground/ingest"
	"commonground/ingest/format"
	"commonground/ingest/geo"
)

// Services: GP practices, pharmacies, schools and the Greater Manchester and
// Trafford lists, loaded into one table, each row located (coordinates
// given, British National Grid converted, or the postcode's centroid) and
// placed in its LSOA, ward and local authority by point in polygon against
// the boundaries loaded in areas. docs/SERVICES.md describes the method.

const (
	// tdlOpenData is the Trafford Data Lab open_data snapshot the GM and
	// Trafford lists are tested against; tdlTree is its browsable twin.
	tdlOpenData = "https://raw.githubusercontent.com/traffordDataLab/open_data/a33a7d94948399556302a5c2a2d1cbf4ce4878aa/"
	tdlTree     = "https://github.com/traffordDataLab/open_data/tree/a33a7d94948399556302a5c2a2d1cbf4ce4878aa/"

	odsAttrib     = "Contains public sector information licensed under the Open Government Licence v3.0. Source: NHS England, Organisation Data Service."
	giasAttrib    = "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department for Education, Get Information about Schools."
	tdlAttrib     = "Contains public sector information licensed under the Open Government Licence v3.0. Compiled by Trafford Data Lab."
	osBuildAttrib = "Contains OS data © Crown copyright and database right. Compiled by Trafford Data Lab; Open Government Licence v3.0."
)

var (
	odsCode    = regexp.MustCompile(`^[A-Z0-9]{3,10}$`)
	digitsCode = regexp.MustCompile(`^[0-9]+$`)
)

// Service file columns that every layout gets: which file and line a row
// came from (GeoJSON: the feature's position).
const (
	svcFileCol = "source_file"
	svcLineCol = "source_line"
)

// svcLayout maps one file layout of a services dataset onto services rows.
// The string fields are SQL expressions over the layout's staging table;
// empty means NULL.
type svcLayout struct {
	spec format.FileSpec
	// id is the publisher's code for the service; the row id is
	// "<dataset>:<id>". Empty: "<dataset>:<file>:<line>".
	id       string
	sourceID string
	subtype  string
	name     string
	address  []string // joined with ", ", empty parts dropped
	postcode string
	// lon, lat are WGS84 coordinates given in a CSV; a GeoJSON layout uses
	// the feature's point (or a polygon's centroid).
	lon, lat string
	// easting, northing are British National Grid coordinates, used when
	// no lon/lat is given.
	easting, northing string
	opened, closed    string
	// status is an expression giving 'open' or 'closed'; empty: 'open'.
	status string
	// attrs are name/expression pairs for the attributes JSON (NULLs left out).
	attrs []string
	// where keeps the rows that are services of this dataset; the others
	// are counted, by skippedBy, in a run warning that says what they are.
	where, skipped, skippedBy string
}

func svcExpr(e, typ string) string {
	if e == "" {
		return "NULL::" + typ
	}
	return "(" + e + ")::" + typ
}

// svcLiteral quotes s as an SQL string literal.
func svcLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// svcText is a text column with surrounding blanks trimmed and "" as NULL.
func svcText(col string) string { return "nullif(trim(" + col + "), '')" }

// selectSQL selects the layout's staged rows in the common shape that the
// located step and the dataset's Insert read.
func (l svcLayout) selectSQL(dataset, category string) string {
	id := fmt.Sprintf("%s || source_file || ':' || source_line", svcLiteral(dataset+":"))
	if l.id != "" {
		id = fmt.Sprintf("%s || %s", svcLiteral(dataset+":"), l.id)
	}
	addr := "NULL::VARCHAR"
	if len(l.address) > 0 {
		parts := make([]string, len(l.address))
		for i, a := range l.address {
			parts[i] = svcText(a)
		}
		addr = "nullif(concat_ws(', ', " + strings.Join(parts, ", ") + "), '')"
	}
	lon, lat, geom := l.lon, l.lat, "NULL::BLOB"
	if l.spec.Geometry {
		lon, lat, geom = "centroid_lon", "centroid_lat", "geometry"
	}
	status := "'open'"
	if l.status != "" {
		status = l.status
	}
	attrs := "NULL::VARCHAR"
	if len(l.attrs) > 0 {
		pairs := make([]string, 0, len(l.attrs))
		for i := 0; i+1 < len(l.attrs); i += 2 {
			pairs = append(pairs, svcLiteral(l.attrs[i])+", "+l.attrs[i+1])
		}
		// A merge patch drops the members whose value is null.
		attrs = "nullif(json_merge_patch('{}', json_object(" + strings.Join(pairs, ", ") + "))::VARCHAR, '{}')"
	}
	where := ""
	if l.where != "" {
		where = "\nWHERE " + l.where
	}
	return fmt.Sprintf(`SELECT %s AS id, %s AS category, %s AS subtype, %s AS source_id, %s AS name, %s AS address, %s AS postcode,
  %s AS given_lon, %s AS given_lat, %s AS easting, %s AS northing, %s AS geom,
  %s AS opened, %s AS closed, %s AS status, source_file, source_line, %s AS attributes
FROM stg_%s%s`,
		id, svcLiteral(category), svcExpr(l.subtype, "VARCHAR"), svcExpr(l.sourceID, "VARCHAR"), svcExpr(l.name, "VARCHAR"), addr,
		svcExpr(l.postcode, "VARCHAR"), svcExpr(lon, "DOUBLE"), svcExpr(lat, "DOUBLE"), svcExpr(l.easting, "DOUBLE"),
		svcExpr(l.northing, "DOUBLE"), geom, svcExpr(l.opened, "DATE"), svcExpr(l.closed, "DATE"), svcExpr(status, "VARCHAR"),
		attrs, l.spec.Kind, where)
}

// svcLocatedAlias is the header alias of the located step's columns: no
// file has it, so no file is ever recognised as that kind.
const svcLocatedAlias = "(computed by the locate step, never read from a file) "

// svcLocatedSpec is the staging table the located step fills: one row per
// service with its coordinates, how they were found, and the areas
// containing them. It is declared as a layout only so that the table exists
// whenever the dataset's SQL runs (the runner creates every layout's
// staging table before reading files).
var svcLocatedSpec = format.FileSpec{Kind: "located", Columns: []format.Column{
	key(text("id", svcLocatedAlias+"id"), nil),
	real("lon", svcLocatedAlias+"lon"),
	real("lat", svcLocatedAlias+"lat"),
	text("location_source", svcLocatedAlias+"location_source"),
	text("lsoa11_code", svcLocatedAlias+"lsoa11_code"),
	text("lsoa21_code", svcLocatedAlias+"lsoa21_code"),
	text("ward_code", svcLocatedAlias+"ward_code"),
	text("lad_code", svcLocatedAlias+"lad_code"),
}}

// svcDataset completes a services dataset: its layouts, the SQL that
// builds services rows from them and the located step, and the Enrich step
// that locates them.
func svcDataset(d ingest.Dataset, category string, layouts ...svcLayout) ingest.Dataset {
	var selects []string
	for i := range layouts {
		layouts[i].spec.FileColumn, layouts[i].spec.LineColumn = svcFileCol, svcLineCol
		d.Files = append(d.Files, layouts[i].spec)
		selects = append(selects, layouts[i].selectSQL(d.ID, category))
	}
	d.Files = append(d.Files, svcLocatedSpec)
	rows := strings.Join(selects, "\nUNION ALL\n")
	d.Table = "services"
	d.Replace = "dataset = " + svcLiteral(d.ID)
	d.Insert = fmt.Sprintf(`SELECT r.id, %s AS dataset, r.category, r.subtype, r.source_id, r.name, r.address, r.postcode,
  l.lon, l.lat, coalesce(l.location_source, 'unlocated') AS location_source, r.opened, r.closed, r.status,
  l.lsoa11_code, l.lsoa21_code, l.ward_code, l.lad_code, r.source_file, r.source_line, r.attributes
FROM (%s) r
LEFT JOIN stg_located l USING (id)`, svcLiteral(d.ID), rows)
	d.Checks.Unique = []string{"id"}
	d.Enrich = svcLocate(d.ID, rows, layouts)
	return d
}

// Location sources, as stored in services.location_source.
const (
	locGiven    = "given"
	locBNG      = "bng"
	locPostcode = "postcode"
	locCentroid = "polygon_centroid"
	locNone     = "unlocated"
)

// svcPoint is one service as the located step sees it.
type svcPoint struct {
	id     string
	source string // a location source; "" while undecided
	reason string // why an unlocated row could not be located
	lon    float64
	lat    float64
	// areas are the codes of the areas containing the point, in svcLevels order.
	areas    [4]string
	postcode string
	file     string
	line     int64
}

// svcLevels are the area levels a service is placed in, in svcPoint.areas
// order; the last is the local authority.
var svcLevels = [4]string{"lsoa11", "lsoa21", "ward", "lad"}

// inBritishIsles is a plausibility box for coordinates (Great Britain,
// Ireland, the Isle of Man and the Channel Islands, with a margin). Given
// lon/lat outside it are a mistake (swapped, zero, projected), and so is the
// ONS Postcode Directory's 99.999999 latitude for a postcode without a grid
// reference.
func inBritishIsles(lon, lat float64) bool {
	return lon >= -11 && lon <= 3 && lat >= 49 && lat <= 61.5
}

// svcLocate is the Enrich step of a services dataset. It checks that one
// form of the list was given and counts the rows a layout leaves out; then
// it locates every row (given lon/lat, else British National Grid
// easting/northing, else the postcode's centroid from the postcodes table,
// else unlocated: still loaded, and listed as a reject with its file, line
// and reason), places each located point in its LSOA 2011, LSOA 2021, ward
// and local authority by point in polygon, stages the result as
// stg_located, and records the counts as a run warning.
func svcLocate(dataset, rows string, layouts []svcLayout) func(context.Context, *ingest.Staging) error {
	return func(ctx context.Context, st *ingest.Staging) error {
		if err := svcOneForm(ctx, st, layouts); err != nil {
			return err
		}
		for _, l := range layouts {
			if err := svcCountSkipped(ctx, st, l); err != nil {
				return err
			}
		}
		pts, bad, err := svcReadPoints(ctx, st, rows)
		if err != nil {
			return err
		}
		counts := map[string]int{}
		for _, p := range pts {
			counts[p.source]++
			if p.source == locNone {
				st.Reject(format.Reject{File: p.file, Line: int(p.line), Column: "postcode", Value: p.postcode, Reason: p.reason})
			}
		}
		if err := svcPlace(ctx, st, pts); err != nil {
			return err
		}
		if err := svcStageLocated(ctx, st, pts); err != nil {
			return err
		}
		st.Note("located: given %d, bng %d, postcode %d, polygon_centroid %d, unlocated %d",
			counts[locGiven], counts[locBNG], counts[locPostcode], counts[locCentroid], counts[locNone])
		located := int64(counts[locGiven] + counts[locBNG] + counts[locPostcode] + counts[locCentroid])
		st.SetLocated(located, int64(counts[locNone]))
		if bad > 0 {
			st.Warn("%d rows give coordinates outside Great Britain and Ireland (swapped, zero or projected?); they were located by easting/northing or postcode where possible, else left unlocated", bad)
		}
		st.Logger().Info("located services", "dataset", dataset, "given", counts[locGiven], "bng", counts[locBNG],
			"postcode", counts[locPostcode], "polygon_centroid", counts[locCentroid], "unlocated", counts[locNone])
		return nil
	}
}

// svcOneForm fails the run when files of two layouts were given: they are
// two forms of the same list (CSV and GeoJSON, or two GIAS extracts), and
// loading both would count every service twice.
func svcOneForm(ctx context.Context, st *ingest.Staging, layouts []svcLayout) error {
	var given []string
	for _, l := range layouts {
		var n int64
		var file string
		q := fmt.Sprintf("SELECT count(*), coalesce(min(source_file), '') FROM stg_%s", l.spec.Kind)
		if err := st.QueryRow(ctx, q, &n, &file); err != nil {
			return fmt.Errorf("count staged %s rows: %w", l.spec.Kind, err)
		}
		if n > 0 {
			given = append(given, fmt.Sprintf("%s (%s)", file, l.spec.Kind))
		}
	}
	if len(given) > 1 {
		return fmt.Errorf("%s are forms of the same list; give one of them, or every service is loaded twice", strings.Join(given, " and "))
	}
	return nil
}

// svcCountSkipped warns how many staged rows a layout's where leaves out,
// and what they are.
func svcCountSkipped(ctx context.Context, st *ingest.Staging, l svcLayout) error {
	if l.where == "" {
		return nil
	}
	var n int64
	var kinds string
	q := fmt.Sprintf(`SELECT coalesce(sum(n), 0)::BIGINT, coalesce(string_agg(k || ': ' || n, ', ' ORDER BY n DESC, k), '') FROM (
  SELECT coalesce((%s)::VARCHAR, '(blank)') AS k, count(*) AS n FROM stg_%s WHERE (%s) IS NOT TRUE GROUP BY ALL)`,
		l.skippedBy, l.spec.Kind, l.where)
	if err := st.QueryRow(ctx, q, &n, &kinds); err != nil {
		return fmt.Errorf("count skipped rows: %w", err)
	}
	if n > 0 {
		st.Note("%d rows skipped: %s (%s)", n, l.skipped, kinds)
	}
	return nil
}

// svcReadPoints reads every service row with its given coordinates and its
// postcode's centroid, and decides where each is: given lon/lat (a polygon's
// centroid for an outline), else BNG easting/northing, else the postcode,
// else unlocated. bad counts rows whose given coordinates were implausible.
func svcReadPoints(ctx context.Context, st *ingest.Staging, rows string) (pts []svcPoint, bad int, err error) {
	q := `WITH r AS (` + rows + `),
k AS (SELECT *, upper(regexp_replace(coalesce(postcode, ''), '[^A-Za-z0-9]', '', 'g')) AS pc_key FROM r),
p AS (SELECT postcode_key, lon, lat FROM store.main.postcodes WHERE postcode_key IN (SELECT pc_key FROM k)
      QUALIFY row_number() OVER (PARTITION BY postcode_key ORDER BY terminated NULLS FIRST, postcode) = 1)
SELECT k.id, k.given_lon, k.given_lat, k.easting, k.northing, k.geom, k.postcode, k.source_file, k.source_line,
  p.postcode_key IS NOT NULL AS pc_found, p.lon AS pc_lon, p.lat AS pc_lat
FROM k LEFT JOIN p ON p.postcode_key = k.pc_key
ORDER BY k.source_file, k.source_line, k.id`
	rdr, err := st.Query(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("read services to locate: %w", err)
	}
	defer rdr.Release()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		c, err := svcColumns(rec, "id", "given_lon", "given_lat", "easting", "northing", "geom", "postcode",
			"source_file", "source_line", "pc_found", "pc_lon", "pc_lat")
		if err != nil {
			return nil, 0, err
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			p := svcPoint{id: arrowString(c[0], i), postcode: arrowString(c[6], i), file: arrowString(c[7], i)}
			p.line, _ = arrowInt(c[8], i)
			if svcDecide(&p, c, i) {
				bad++
			}
			pts = append(pts, p)
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, 0, fmt.Errorf("read services to locate: %w", err)
	}
	return pts, bad, nil
}

// svcDecide sets p's location from row i of the columns read by
// svcReadPoints, and reports whether the row's given coordinates were
// implausible.
func svcDecide(p *svcPoint, c []arrow.Array, i int) (badGiven bool) {
	none := "no coordinates"
	if lon, ok := arrowFloat(c[1], i); ok {
		if lat, ok := arrowFloat(c[2], i); ok {
			if inBritishIsles(lon, lat) {
				p.lon, p.lat, p.source = lon, lat, locGiven
				if wkbType(arrowBytes(c[5], i)) > 1 {
					p.source = locCentroid
				}
				return false
			}
			badGiven = true
			none = fmt.Sprintf("coordinates %g, %g outside Great Britain and Ireland", lon, lat)
		}
	}
	if e, ok := arrowFloat(c[3], i); ok && e > 0 && e < 800000 {
		if n, ok := arrowFloat(c[4], i); ok && n > 0 && n < 1400000 {
			if lon, lat := format.BNGToWGS84(e, n); inBritishIsles(lon, lat) {
				p.lon, p.lat, p.source = lon, lat, locBNG
				return badGiven
			}
		}
	}
	found, _ := arrowBool(c[9], i)
	lon, lonOK := arrowFloat(c[10], i)
	lat, latOK := arrowFloat(c[11], i)
	switch {
	case found && lonOK && latOK && inBritishIsles(lon, lat):
		p.lon, p.lat, p.source = lon, lat, locPostcode
	case strings.TrimSpace(p.postcode) == "":
		p.source, p.reason = locNone, "unlocated: "+none+" and no postcode"
	case found:
		p.source, p.reason = locNone, fmt.Sprintf("unlocated: %s and postcode %s has no location in the postcode lookup", none, p.postcode)
	default:
		p.source, p.reason = locNone, fmt.Sprintf("unlocated: %s and postcode %s not in the postcode lookup", none, p.postcode)
	}
	return badGiven
}

// wkbType is the geometry type of a WKB value (1 point, 3 polygon, 6
// multipolygon…; ISO Z/M and EWKB flags stripped), or 0 when there is none.
func wkbType(b []byte) uint32 {
	if len(b) < 5 {
		return 0
	}
	var t uint32
	if b[0] == 0 {
		t = binary.BigEndian.Uint32(b[1:5])
	} else {
		t = binary.LittleEndian.Uint32(b[1:5])
	}
	return (t & 0x0FFFFFFF) % 1000
}

// svcPlace sets the areas containing each located point: for each level,
// the boundaries in areas that overlap the points' bounding box are
// indexed, newest vintage first, and each point takes the first area that
// contains it. A point outside every local authority boundary loaded takes
// the local authority of its LSOA (2021, else 2011).
func svcPlace(ctx context.Context, st *ingest.Staging, pts []svcPoint) error {
	var box orb.Bound
	n := 0
	for _, p := range pts {
		if p.source == locNone {
			continue
		}
		pt := orb.Point{p.lon, p.lat}
		if n == 0 {
			box = pt.Bound()
		}
		box = box.Extend(pt)
		n++
	}
	if n == 0 {
		return nil
	}
	parents := map[string]map[string]string{} // level -> LSOA code -> its local authority
	for li, level := range svcLevels {
		indexes, lad, err := svcIndexes(ctx, st, level, box)
		if err != nil {
			return err
		}
		parents[level] = lad
		if len(indexes) == 0 {
			continue
		}
		for i := range pts {
			p := &pts[i]
			if p.source == locNone {
				continue
			}
			for _, ix := range indexes {
				if code, ok := ix.Locate(orb.Point{p.lon, p.lat}); ok {
					p.areas[li] = code
					break
				}
			}
		}
	}
	for i := range pts {
		p := &pts[i]
		if p.source == locNone || p.areas[3] != "" {
			continue
		}
		if lad := parents["lsoa21"][p.areas[1]]; lad != "" {
			p.areas[3] = lad
		} else if lad := parents["lsoa11"][p.areas[0]]; lad != "" {
			p.areas[3] = lad
		}
	}
	return nil
}

// svcIndexes builds one point-in-polygon index per vintage (newest first)
// of the level's boundaries that overlap box, and returns each area's local
// authority code.
func svcIndexes(ctx context.Context, st *ingest.Staging, level string, box orb.Bound) ([]*geo.Index, map[string]string, error) {
	num := func(f float64) string { return fmt.Sprintf("%.9f", f) }
	q := fmt.Sprintf(`SELECT code, coalesce(vintage, 0)::BIGINT AS vintage, lad_code, geometry FROM store.main.areas
WHERE level = %s AND geometry IS NOT NULL AND minx <= %s AND maxx >= %s AND miny <= %s AND maxy >= %s
ORDER BY vintage DESC, code`, svcLiteral(level), num(box.Max[0]), num(box.Min[0]), num(box.Max[1]), num(box.Min[1]))
	rdr, err := st.Query(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s boundaries: %w", level, err)
	}
	defer rdr.Release()
	lad := map[string]string{}
	var vintages []int64
	byVintage := map[int64][]geo.Area{}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		c, err := svcColumns(rec, "code", "vintage", "lad_code", "geometry")
		if err != nil {
			return nil, nil, err
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			code := arrowString(c[0], i)
			v, _ := arrowInt(c[1], i)
			a, err := geo.AreaFromWKB(code, arrowBytes(c[3], i))
			if err != nil {
				return nil, nil, fmt.Errorf("%s boundaries: %w", level, err)
			}
			if _, ok := byVintage[v]; !ok {
				vintages = append(vintages, v)
			}
			byVintage[v] = append(byVintage[v], a)
			if l := arrowString(c[2], i); l != "" {
				lad[code] = l
			}
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s boundaries: %w", level, err)
	}
	sort.Slice(vintages, func(i, j int) bool { return vintages[i] > vintages[j] })
	var out []*geo.Index
	for _, v := range vintages {
		ix, err := geo.Build(byVintage[v])
		if err != nil {
			return nil, nil, fmt.Errorf("%s boundaries, vintage %d: %w", level, v, err)
		}
		out = append(out, ix)
	}
	return out, lad, nil
}

// svcStageLocated stages one stg_located row per service.
func svcStageLocated(ctx context.Context, st *ingest.Staging, pts []svcPoint) error {
	schema := format.Schema(svcLocatedSpec)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	str := func(f int, s string) {
		sb := b.Field(f).(*array.StringBuilder)
		if s == "" {
			sb.AppendNull()
		} else {
			sb.Append(s)
		}
	}
	for i, p := range pts {
		str(0, p.id)
		if p.source == locNone {
			b.Field(1).AppendNull()
			b.Field(2).AppendNull()
		} else {
			b.Field(1).(*array.Float64Builder).Append(p.lon)
			b.Field(2).(*array.Float64Builder).Append(p.lat)
		}
		str(3, p.source)
		for j, code := range p.areas {
			str(4+j, code)
		}
		if (i+1)%8192 == 0 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	recs = append(recs, b.NewRecordBatch())
	rdr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		return fmt.Errorf("stage located services: %w", err)
	}
	defer rdr.Release()
	if _, err := st.Stage(ctx, svcLocatedSpec.Kind, rdr); err != nil {
		return fmt.Errorf("stage located services: %w", err)
	}
	return nil
}

// svcColumns returns rec's columns by name.
func svcColumns(rec arrow.RecordBatch, names ...string) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(names))
	for i, n := range names {
		idx := rec.Schema().FieldIndices(n)
		if len(idx) == 0 {
			return nil, fmt.Errorf("locate services: query result has no column %s", n)
		}
		out[i] = rec.Column(idx[0])
	}
	return out, nil
}

// arrowString returns a copy of a string value ("" for null): the batch's
// memory is reused after Next.
func arrowString(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch a := a.(type) {
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.StringView:
		return strings.Clone(a.Value(i))
	}
	return ""
}

// arrowBytes returns a binary value, valid until the batch is released.
func arrowBytes(a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Binary:
		return a.Value(i)
	case *array.LargeBinary:
		return a.Value(i)
	case *array.BinaryView:
		return a.Value(i)
	}
	return nil
}

func arrowFloat(a arrow.Array, i int) (float64, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	var f float64
	switch a := a.(type) {
	case *array.Float64:
		f = a.Value(i)
	case *array.Float32:
		f = float64(a.Value(i))
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

func arrowInt(a arrow.Array, i int) (int64, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i), true
	case *array.Int32:
		return int64(a.Value(i)), true
	}
	return 0, false
}

func arrowBool(a arrow.Array, i int) (bool, bool) {
	if b, ok := a.(*array.Boolean); ok && !a.IsNull(i) {
		return b.Value(i), true
	}
	return false, false
}

// svcDate is a date column (layouts nil: the reader's default set, which
// covers ISO, dd/mm/yyyy and dd-mm-yyyy).
func svcDate(name string, layouts []string, aliases ...string) format.Column {
	return format.Column{Name: name, Type: format.Date, Aliases: aliases, DateLayouts: layouts}
}

// odsLayout is the NHS Organisation Data Service CSV layout shared by
// epraccur and edispensary: no header, 27 fields, every field quoted,
// YYYYMMDD dates.
func odsLayout(kind string) format.FileSpec {
	at := func(c format.Column, i int) format.Column { c.Index = i; return c }
	ymd := []string{"20060102"}
	return format.FileSpec{Kind: kind, Headerless: true, Columns: []format.Column{
		at(key(text("code"), odsCode), 1),
		at(text("name"), 2),
		at(text("national_grouping"), 3),
		at(text("health_geography"), 4),
		at(text("address1"), 5),
		at(text("address2"), 6),
		at(text("address3"), 7),
		at(text("address4"), 8),
		at(text("address5"), 9),
		at(text("postcode"), 10),
		at(svcDate("opened", ymd), 11),
		at(svcDate("closed", ymd), 12),
		at(text("status"), 13),
		at(text("sub_type"), 14),
		at(text("commissioner"), 15),
		at(text("phone"), 18),
		at(text("setting"), 26),
	}}
}

// odsService maps an ODS layout: status A (active) is open; C (closed), D
// (dormant) and P (proposed) are not, and keep their code in attributes.
func odsService(kind string) svcLayout {
	return svcLayout{
		spec:     odsLayout(kind),
		id:       "code",
		sourceID: "code",
		name:     svcText("name"),
		address:  []string{"address1", "address2", "address3", "address4", "address5"},
		postcode: svcText("postcode"),
		opened:   "opened",
		closed:   "closed",
		status:   "CASE WHEN status = 'A' THEN 'open' ELSE 'closed' END",
		attrs: []string{"ods_status", "status", "ods_sub_type", "sub_type", "prescribing_setting", "setting",
			"national_grouping", "national_grouping", "health_geography", "health_geography",
			"commissioner", "commissioner", "phone", "phone"},
	}
}

// twin returns the CSV and GeoJSON layouts of a list published in both
// forms with the same column names (matching ignores case, spaces and
// punctuation, so "Area name" and "area_name" are one). csvLonLat adds the
// CSV's lon and lat columns.
func twin(cols []format.Column, csvLonLat bool, nullTokens ...string) (csv, geojson format.FileSpec) {
	csvCols := append([]format.Column(nil), cols...)
	if csvLonLat {
		csvCols = append(csvCols, real("lon", "lon", "longitude"), real("lat", "lat", "latitude"))
	}
	return format.FileSpec{Kind: "csv", Columns: csvCols, NullTokens: nullTokens},
		format.FileSpec{Kind: "geojson", Columns: cols, Geometry: true, NullTokens: nullTokens}
}

// both returns a layout for each of the two forms of a list.
func both(l svcLayout, csv, geojson format.FileSpec, csvHasLonLat bool) []svcLayout {
	c, g := l, l
	c.spec, g.spec = csv, geojson
	if csvHasLonLat {
		c.lon, c.lat = "lon", "lat"
	}
	return []svcLayout{c, g}
}

// osBuildings is the layout of OS OpenMap Local building outlines (post
// offices, places of worship): located at the outline's centroid.
func osBuildings() svcLayout {
	return svcLayout{
		spec: format.FileSpec{Kind: "geojson", Geometry: true, Columns: []format.Column{
			key(text("os_id", "ID"), nil),
			text("distname", "DISTNAME"),
			text("theme", "BUILDGTHEM"),
			required(text("classification", "CLASSIFICA")),
			text("featcode", "FEATCODE"),
			text("area_code", "area_code"),
			text("area_name", "area_name"),
		}},
		id:       "os_id",
		sourceID: "os_id",
		// OS names few buildings ("Unknown"); the classification stands in.
		name:  "coalesce(nullif(nullif(trim(distname), ''), 'Unknown'), classification)",
		attrs: []string{"os_name", "distname", "building_theme", "theme", "feature_code", "featcode", "area_code", "area_code", "area_name", "area_name"},
	}
}

func services() []ingest.Dataset {
	tdl := func(path string) []string { return []string{tdlOpenData + path} }

	epraccur := odsService("epraccur")
	epraccur.where = "setting = '4'"
	epraccur.skipped = "not GP practices (ODS prescribing setting other than 4: out-of-hours, walk-in, community, hospital, prison and other services)"
	epraccur.skippedBy = "'setting ' || coalesce(setting, 'blank')"

	// GIAS: the full extract (133 columns, open and closed establishments)
	// and the derived list of open schools.
	giasFull := svcLayout{
		spec: format.FileSpec{Kind: "gias", Columns: []format.Column{
			key(text("urn", "URN"), digitsCode),
			required(text("name", "EstablishmentName")),
			required(text("status_name", "EstablishmentStatus (name)")),
			svcDate("opened", nil, "OpenDate"),
			svcDate("closed", nil, "CloseDate"),
			text("phase", "PhaseOfEducation (name)"),
			text("type", "TypeOfEstablishment (name)"),
			text("type_group", "EstablishmentTypeGroup (name)"),
			text("la_name", "LA (name)"),
			text("street", "Street"),
			text("locality", "Locality"),
			text("address3", "Address3"),
			text("town", "Town"),
			text("postcode", "Postcode"),
			real("easting", "Easting"),
			real("northing", "Northing"),
			text("pupils", "NumberOfPupils"),
			text("website", "SchoolWebsite"),
			text("phone", "TelephoneNum"),
			text("ofsted_rating", "OfstedRating (name)"),
			text("lsoa_code", "LSOA (code)"),
		}},
		id:       "urn",
		sourceID: "urn",
		subtype:  svcText("phase"),
		name:     svcText("name"),
		address:  []string{"street", "locality", "address3", "town"},
		postcode: svcText("postcode"),
		easting:  "easting",
		northing: "northing",
		opened:   "opened",
		closed:   "closed",
		status:   "CASE WHEN status_name IN ('Open', 'Open, but proposed to close') THEN 'open' ELSE 'closed' END",
		attrs: []string{"gias_status", "status_name", "type", "type", "type_group", "type_group", "la_name", "la_name",
			"pupils", "pupils", "website", "website", "phone", "phone", "ofsted_rating", "ofsted_rating", "source_lsoa_code", "lsoa_code"},
	}
	giasOpen := svcLayout{
		spec: format.FileSpec{Kind: "gias_open", Columns: []format.Column{
			key(text("urn", "urn"), digitsCode),
			required(text("name", "establishment_name")),
			required(text("phase", "education_phase")),
			text("la_code", "la_code"),
			text("la_name", "la_name"),
			text("type", "establishment_type"),
			text("type_group", "establishment_type_group"),
			text("pupils", "number_of_pupils"),
			text("fsm", "percentage_fsm"),
			real("easting", "easting"),
			real("northing", "northing"),
			text("lsoa_code", "lsoa_code"),
			text("pcon_code", "pcon_code"),
			real("lon", "longitude"),
			real("lat", "latitude"),
		}},
		id:       "urn",
		sourceID: "urn",
		subtype:  svcText("phase"),
		name:     svcText("name"),
		lon:      "lon",
		lat:      "lat",
		easting:  "easting",
		northing: "northing",
		attrs: []string{"type", "type", "type_group", "type_group", "la_code", "la_code", "la_name", "la_name",
			"pupils", "pupils", "percentage_fsm", "fsm", "source_lsoa_code", "lsoa_code", "pcon_code", "pcon_code"},
	}

	libCSV, libGeo := twin([]format.Column{
		required(text("name", "name")),
		required(text("address", "address")),
		required(text("postcode", "postcode")),
		text("type", "type"),
		text("email", "email"),
		text("website", "website"),
		text("area_name", "area_name"),
		text("area_code", "area_code"),
	}, true)
	libraries := both(svcLayout{
		name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"), subtype: svcText("type"),
		attrs: []string{"email", "email", "website", "website", "area_name", "area_name", "area_code", "area_code"},
	}, libCSV, libGeo, true)

	fbCSV, fbGeo := twin([]format.Column{
		required(text("name", "Name")),
		text("referral", "Referral method"),
		text("opening_times", "Opening times"),
		required(text("address", "Address")),
		required(text("postcode", "Postcode")),
		text("contact", "Contact"),
		text("website", "Website"),
		text("area_name", "Area name"),
		text("area_code", "Area code"),
	}, false)
	foodBanks := both(svcLayout{
		name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"),
		attrs: []string{"referral", "referral", "opening_times", "opening_times", "contact", "contact", "website", "website",
			"area_name", "area_name", "area_code", "area_code"},
	}, fbCSV, fbGeo, false)

	days := []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	phCols := []format.Column{
		required(text("name", "pharmacy_name")),
		required(text("address", "address")),
		required(text("postcode", "postcode")),
	}
	var hours []string
	for _, d := range days {
		phCols = append(phCols, text("hours_"+d, "opening_hours_"+d))
		hours = append(hours, svcLiteral(d), "hours_"+d)
	}
	phCols = append(phCols,
		key(text("ods_code", "organisation_data_service_code"), odsCode),
		text("hwb", "health_and_wellbeing_board"),
		text("ward_code", "ward_code"),
		text("ward_name", "ward_name"),
		text("la_code", "la_code"),
		text("la_name", "la_name"))
	phCSV, phGeo := twin(phCols, false)
	gmPharmacies := both(svcLayout{
		id: "ods_code", sourceID: "ods_code", name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"),
		attrs: []string{"opening_hours", "json_object(" + strings.Join(hours, ", ") + ")", "health_and_wellbeing_board", "hwb",
			"ward_code", "ward_code", "ward_name", "ward_name", "la_code", "la_code", "la_name", "la_name"},
	}, phCSV, phGeo, false)

	gpCSV, gpGeo := twin([]format.Column{
		required(text("name", "name")),
		required(text("address", "address")),
		required(text("postcode", "postcode")),
		text("telephone", "telephone"),
	}, true)
	traffordGPs := both(svcLayout{
		name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"),
		attrs: []string{"telephone", "telephone"},
	}, gpCSV, gpGeo, true)

	schCSV, schGeo := twin([]format.Column{
		required(text("name", "name")),
		text("la_code", "local_authority_code"),
		text("establishment_number", "establishment_number"),
		key(text("urn", "unique_reference_number"), digitsCode),
		required(text("type", "type")),
		text("gender", "gender"),
		text("lowest_age", "lowest_admission_age"),
		text("highest_age", "highest_admission_age"),
		text("capacity", "capacity"),
		text("resource_provision", "resource_provision"),
		text("religion", "religion"),
		text("trust_type", "trust_type"),
		text("sponsoring_trust", "sponsoring_trust"),
		text("fsm", "percent_fsm"),
		text("ofsted_rating", "ofsted_rating"),
		text("website", "website"),
		required(text("postcode", "postcode")),
	}, true, "NA")
	traffordSchools := both(svcLayout{
		id: "urn", sourceID: "urn", subtype: svcText("type"), name: svcText("name"), postcode: svcText("postcode"),
		attrs: []string{"la_code", "la_code", "establishment_number", "establishment_number", "gender", "gender",
			"lowest_admission_age", "lowest_age", "highest_admission_age", "highest_age", "capacity", "capacity",
			"resource_provision", "resource_provision", "religion", "religion", "trust_type", "trust_type",
			"sponsoring_trust", "sponsoring_trust", "percentage_fsm", "fsm", "ofsted_rating", "ofsted_rating", "website", "website"},
	}, schCSV, schGeo, true)

	allotCSV, allotGeo := twin([]format.Column{
		required(text("name", "name")),
		key(text("osm_id", "osm_id"), digitsCode),
	}, true)
	allotments := both(svcLayout{id: "osm_id", sourceID: "osm_id", name: svcText("name")}, allotCSV, allotGeo, true)

	gmCSV := func(cols ...format.Column) format.FileSpec {
		return format.FileSpec{Kind: "csv", Columns: append(cols, real("lon", "lon"), real("lat", "lat")), NullTokens: []string{"NA"}}
	}
	return []ingest.Dataset{
		svcDataset(ingest.Dataset{
			ID:          "gp-practices",
			Title:       "GP practices in England and Wales (NHS ODS epraccur), open and closed",
			Publisher:   "NHS England, Organisation Data Service",
			Licence:     ogl,
			Attribution: odsAttrib,
			Description: "Every GP practice the NHS Organisation Data Service lists, open and closed, located by postcode (epraccur has no coordinates) and placed in its LSOA, ward and local authority. Open means ODS status A (active); closed, dormant and proposed practices are loaded as closed. " +
				"Rows of other prescribing settings (out-of-hours, walk-in centres, prisons, community and hospital services…) are not GP practices and are skipped, with their count by setting in the run's warnings. See docs/SERVICES.md.",
			Landing:   "https://digital.nhs.uk/services/organisation-data-service/export-data-files/csv-downloads/gp-and-gp-practice-related-data",
			URLs:      []string{"https://raw.githubusercontent.com/hsma-programme/hsma6_geographic_optimisation_and_visualisation_book/ccc25d98c9e65da6568680b39835256f953a33e8/data/epraccur.csv"},
			Format:    "CSV without header (ODS epraccur, 27 fields)",
			Geography: "Point (postcode centroid), placed in LSOA, ward and local authority",
			Vintage:   "2023-12 (snapshot of the ODS file; pass a newer epraccur.csv)",
			Checks:    ingest.Checks{MinRows: 7000, MaxRows: 12000},
		}, "gp_practice", epraccur),
		svcDataset(ingest.Dataset{
			ID:          "pharmacies",
			Title:       "Pharmacies and dispensaries in England and Wales (NHS ODS edispensary), open and closed",
			Publisher:   "NHS England, Organisation Data Service (data from the NHS Business Services Authority)",
			Licence:     ogl,
			Attribution: odsAttrib,
			Description: "Every pharmacy and dispensary in the ODS edispensary file (which also lists appliance contractors), open (status A) and closed (C, or P for proposed), located by postcode. See docs/SERVICES.md.",
			Landing:     "https://digital.nhs.uk/services/organisation-data-service/export-data-files/csv-downloads/other-nhs-organisations",
			// Removed from the repository in the commit after this one.
			URLs:      []string{"https://raw.githubusercontent.com/leahyc-parliament/pharmacy_count/af264e5a9b8d61d55f726849671b133aeababdee/data/edispensary.csv"},
			Format:    "CSV without header (ODS edispensary, 27 fields)",
			Geography: "Point (postcode centroid), placed in LSOA, ward and local authority",
			Vintage:   "2025-04 (snapshot of the ODS file)",
			Checks:    ingest.Checks{MinRows: 15000, MaxRows: 30000},
		}, "pharmacy", odsService("edispensary")),
		svcDataset(ingest.Dataset{
			ID:          "schools",
			Title:       "Schools and other educational establishments in England (DfE Get Information about Schools)",
			Publisher:   "Department for Education",
			Licence:     ogl,
			Attribution: giasAttrib,
			Description: "Establishments from Get Information about Schools: the full extract (edubasealldataYYYYMMDD.csv, 133 columns, open and closed; located by its British National Grid easting/northing) or a list of open schools with easting/northing and longitude/latitude (as in cwthom/hack25usefuldata). Subtype is the phase of education. " +
				"Open means GIAS status Open or \"Open, but proposed to close\". See docs/SERVICES.md.",
			Landing: "https://get-information-schools.service.gov.uk/Downloads",
			// The daily extract is named by date; pass a current one.
			URLs:      []string{"https://ea-edubase-api-prod.azurewebsites.net/edubase/downloads/public/edubasealldata20250524.csv"},
			Format:    "CSV (GIAS full extract, or the derived open-schools list)",
			Geography: "Point (given, or converted from British National Grid), placed in LSOA, ward and local authority",
			Vintage:   "As published (tested with the extracts of 2018-10-29 and 2025-05-24)",
			Checks:    ingest.Checks{MinRows: 20000, MaxRows: 70000},
		}, "school", giasFull, giasOpen),
		svcDataset(ingest.Dataset{
			ID:          "gm-libraries",
			Title:       "Public libraries in Greater Manchester",
			Publisher:   "DCMS and the Greater Manchester councils (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "Local authority, commissioned, community and partnership libraries in the ten Greater Manchester districts, with coordinates; from the DCMS basic dataset, reviewed by each council. Reads the CSV or the GeoJSON.",
			Landing:     tdlTree + "libraries",
			URLs:        tdl("libraries/gm_libraries.csv"),
			Format:      "CSV or GeoJSON",
			Geography:   "Point, placed in LSOA, ward and local authority; Greater Manchester",
			Vintage:     "As published by Trafford Data Lab (snapshot a33a7d9)",
			Checks:      ingest.Checks{MinRows: 100, MaxRows: 300},
		}, "library", libraries...),
		svcDataset(ingest.Dataset{
			ID:          "gm-food-banks",
			Title:       "Food banks, pantries and food clubs in Greater Manchester",
			Publisher:   "Greater Manchester Poverty Action (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "Emergency food providers across Greater Manchester with referral method and opening times (January 2018). The GeoJSON has coordinates; the CSV only postcodes, so its rows are located by postcode where the postcode lookup covers them.",
			Landing:     tdlTree + "food_banks",
			URLs:        tdl("food_banks/gm_food_banks.geojson"),
			Format:      "GeoJSON or CSV",
			Geography:   "Point, placed in LSOA, ward and local authority; Greater Manchester",
			Vintage:     "2018-01",
			Checks:      ingest.Checks{MinRows: 100, MaxRows: 400},
		}, "food_bank", foodBanks...),
		svcDataset(ingest.Dataset{
			ID:          "gm-pharmacies",
			Title:       "Pharmacies in Greater Manchester with opening hours",
			Publisher:   "NHS Business Services Authority (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "The 631 pharmacies on the NHSBSA consolidated pharmaceutical list (2024-25 Q4) in Greater Manchester, with opening hours by day and ODS code. The GeoJSON has coordinates; the CSV only postcodes.",
			Landing:     tdlTree + "pharmacies",
			URLs:        tdl("pharmacies/gm_pharmacies.geojson"),
			Format:      "GeoJSON or CSV",
			Geography:   "Point, placed in LSOA, ward and local authority; Greater Manchester",
			Vintage:     "2024-25 Q4",
			Checks:      ingest.Checks{MinRows: 500, MaxRows: 900},
		}, "pharmacy", gmPharmacies...),
		svcDataset(ingest.Dataset{
			ID:          "gm-dentists",
			Title:       "Dentists in Greater Manchester",
			Publisher:   "Care Quality Commission (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: "Uses information from the Care Quality Commission, licensed under the Open Government Licence v3.0. Compiled by Trafford Data Lab.",
			Description: "Dental services registered with the CQC in Greater Manchester (July 2019). The source's own errors are kept as published: Salford's area code is E0800006 and telephone numbers lost their leading zero; a few services appear twice.",
			Landing:     tdlTree + "dentists",
			URLs:        tdl("dentists/gm_dentists.csv"),
			Format:      "CSV",
			Geography:   "Point, placed in LSOA, ward and local authority; Greater Manchester",
			Vintage:     "2019-07-17",
			Checks:      ingest.Checks{MinRows: 400, MaxRows: 900},
		}, "dentist", svcLayout{
			spec: gmCSV(required(text("name", "name")), required(text("type", "type")), required(text("address", "address")),
				required(text("postcode", "postcode")), required(text("telephone", "telephone")), text("website", "website"),
				text("area_name", "area_name"), text("area_code", "area_code")),
			subtype: svcText("type"), name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"), lon: "lon", lat: "lat",
			attrs: []string{"telephone", "telephone", "website", "website", "area_name", "area_name", "area_code", "area_code"},
		}),
		svcDataset(ingest.Dataset{
			ID:          "gm-jobcentres",
			Title:       "Jobcentre Plus offices in Greater Manchester",
			Publisher:   "Department for Work and Pensions (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "Jobcentre Plus offices in the ten Greater Manchester districts, with coordinates.",
			Landing:     tdlTree + "jobcentre_plus",
			URLs:        tdl("jobcentre_plus/gm_jobcentreplus.csv"),
			Format:      "CSV",
			Geography:   "Point, placed in LSOA, ward and local authority; Greater Manchester",
			Vintage:     "As published by Trafford Data Lab (snapshot a33a7d9)",
			Checks:      ingest.Checks{MinRows: 15, MaxRows: 60},
		}, "jobcentre", svcLayout{
			spec: gmCSV(required(text("name", "name")), required(text("address", "address")), required(text("postcode", "postcode")),
				text("area_name", "area_name"), text("area_code", "area_code")),
			name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"), lon: "lon", lat: "lat",
			attrs: []string{"area_name", "area_name", "area_code", "area_code"},
		}),
		svcDataset(ingest.Dataset{
			ID:          "gm-post-offices",
			Title:       "Post office buildings in Greater Manchester",
			Publisher:   "Ordnance Survey, OS OpenMap – Local (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: osBuildAttrib,
			Description: "Buildings OS OpenMap – Local classifies as post offices in Greater Manchester, as outlines; each is located at its outline's centroid (location_source polygon_centroid). OS names few of them, so the name is the classification unless OS gives one.",
			Landing:     tdlTree + "post_office",
			URLs:        tdl("post_office/gm_post_offices.geojson"),
			Format:      "GeoJSON (polygons)",
			Geography:   "Building outline centroid, placed in LSOA, ward and local authority; Greater Manchester",
			Vintage:     "As published by Trafford Data Lab (snapshot a33a7d9)",
			Checks:      ingest.Checks{MinRows: 250, MaxRows: 600},
		}, "post_office", osBuildings()),
		svcDataset(ingest.Dataset{
			ID:          "trafford-gp-practices",
			Title:       "GP practices in Trafford",
			Publisher:   "NHS Digital ODS (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "The open GP practices in Trafford with postcode-centroid coordinates (ONSPD November 2025), data at 2026-01-23. Reads the CSV or the GeoJSON. The national gp-practices dataset covers the same practices with ODS codes.",
			Landing:     tdlTree + "general_practice",
			URLs:        tdl("general_practice/trafford_general_practices.csv"),
			Format:      "CSV or GeoJSON",
			Geography:   "Point (postcode centroid), placed in LSOA, ward and local authority; Trafford",
			Vintage:     "2026-01-23",
			Checks:      ingest.Checks{MinRows: 15, MaxRows: 60},
		}, "gp_practice", traffordGPs...),
		svcDataset(ingest.Dataset{
			ID:          "trafford-schools",
			Title:       "Schools and colleges in Trafford",
			Publisher:   "Department for Education, GIAS (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "Schools and colleges in Trafford from GIAS (2024-09-26) with type, capacity, Ofsted rating and free school meals; the URN links them to the national schools dataset. Reads the CSV or the GeoJSON.",
			Landing:     tdlTree + "schools_and_colleges",
			URLs:        tdl("schools_and_colleges/trafford_schools_and_colleges.csv"),
			Format:      "CSV or GeoJSON",
			Geography:   "Point, placed in LSOA, ward and local authority; Trafford",
			Vintage:     "2024-09-26",
			Checks:      ingest.Checks{MinRows: 80, MaxRows: 200},
		}, "school", traffordSchools...),
		svcDataset(ingest.Dataset{
			ID:          "trafford-childrens-centres",
			Title:       "Children's centres in Trafford",
			Publisher:   "Trafford Council (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "Trafford's children's centres with their unique reference numbers and coordinates.",
			Landing:     tdlTree + "childrens_centres",
			URLs:        tdl("childrens_centres/trafford_childrens_centres.csv"),
			Format:      "CSV",
			Geography:   "Point, placed in LSOA, ward and local authority; Trafford",
			Vintage:     "As published by Trafford Data Lab (snapshot a33a7d9)",
			Checks:      ingest.Checks{MinRows: 1, MaxRows: 20},
		}, "childrens_centre", svcLayout{
			spec: gmCSV(required(text("name", "name")), text("address", "address"), required(text("postcode", "postcode")),
				text("telephone", "telephone"), key(text("urn", "unique_reference_number"), digitsCode)),
			id: "urn", sourceID: "urn", name: svcText("name"), address: []string{"address"}, postcode: svcText("postcode"), lon: "lon", lat: "lat",
			attrs: []string{"telephone", "telephone"},
		}),
		svcDataset(ingest.Dataset{
			ID:          "trafford-allotments",
			Title:       "Allotment sites in Trafford",
			Publisher:   "Trafford Council and OpenStreetMap contributors (compiled by Trafford Data Lab)",
			Licence:     "Open Government Licence v3.0; Open Database Licence 1.0 (OpenStreetMap data)",
			Attribution: "© OpenStreetMap contributors, available under the Open Database Licence. Compiled by Trafford Data Lab.",
			Description: "Allotment sites in Trafford from OpenStreetMap, with their OSM ids: points in the CSV, outlines in the GeoJSON (located at the outline's centroid).",
			Landing:     tdlTree + "allotments",
			URLs:        tdl("allotments/trafford_allotments.csv"),
			Format:      "CSV or GeoJSON (polygons)",
			Geography:   "Point or outline centroid, placed in LSOA, ward and local authority; Trafford",
			Vintage:     "As published by Trafford Data Lab (snapshot a33a7d9)",
			Checks:      ingest.Checks{MinRows: 20, MaxRows: 100},
		}, "allotment", allotments...),
		svcDataset(ingest.Dataset{
			ID:          "trafford-places-of-worship",
			Title:       "Places of worship in Trafford (building outlines)",
			Publisher:   "Ordnance Survey, OS OpenMap – Local (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: osBuildAttrib,
			Description: "Buildings OS OpenMap – Local classifies as places of worship in Trafford, as outlines, each located at its centroid. OS names almost none of them.",
			Landing:     tdlTree + "places_of_worship",
			URLs:        tdl("places_of_worship/trafford_places_of_worship_RAW.geojson"),
			Format:      "GeoJSON (polygons)",
			Geography:   "Building outline centroid, placed in LSOA, ward and local authority; Trafford",
			Vintage:     "As published by Trafford Data Lab (snapshot a33a7d9)",
			Checks:      ingest.Checks{MinRows: 80, MaxRows: 300},
		}, "place_of_worship", osBuildings()),
		svcDataset(ingest.Dataset{
			ID:          "trafford-sports-facilities",
			Title:       "Sports facilities in Trafford (Sport England Active Places)",
			Publisher:   "Sport England, Active Places Power (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: tdlAttrib,
			Description: "Sports facilities in Trafford, one row per facility type and access type at a site (a site with pitches and a sports hall has two rows; subtype is the facility type), correct at 2025-09-30.",
			Landing:     tdlTree + "sport_facilities",
			URLs:        tdl("sport_facilities/sports_facilities.csv"),
			Format:      "CSV",
			Geography:   "Point, placed in LSOA, ward and local authority; Trafford",
			Vintage:     "2025-09-30",
			Checks:      ingest.Checks{MinRows: 200, MaxRows: 600},
		}, "sports_facility", svcLayout{
			spec: gmCSV(key(text("site_id", "site_id"), digitsCode), required(text("name", "site_name")),
				required(text("facility_type", "facility_type")), text("access_type", "access_type"),
				text("facility_areas", "facility_areas_on_site"), text("street", "street"), text("town", "town"),
				text("postcode", "postcode"), text("telephone", "telephone"), text("email", "email"), text("website", "website"),
				text("ward_code", "ward_code"), text("lsoa_code", "lsoa_code"), text("updated", "site_last_updated_date")),
			sourceID: "site_id", subtype: svcText("facility_type"), name: svcText("name"), address: []string{"street", "town"},
			postcode: svcText("postcode"), lon: "lon", lat: "lat",
			attrs: []string{"access_type", "access_type", "facility_areas_on_site", "facility_areas", "telephone", "telephone",
				"email", "email", "website", "website", "source_ward_code", "ward_code", "source_lsoa_code", "lsoa_code",
				"site_last_updated", "updated"},
		}),
		svcDataset(ingest.Dataset{
			ID:          "trafford-charities",
			Title:       "Registered charities operating in Trafford",
			Publisher:   "Charity Commission for England and Wales (compiled by Trafford Data Lab)",
			Licence:     ogl,
			Attribution: "Contains public sector information licensed under the Open Government Licence v3.0. Source: Charity Commission for England and Wales register. Compiled by Trafford Data Lab.",
			Description: "Registered charities whose area of operation includes Trafford (register extract 2023-04-04), located by their contact postcode: where the charity's correspondence goes, often a registered office outside Trafford, not where it works.",
			Landing:     tdlTree + "charities",
			URLs:        tdl("charities/charities_operating_in_trafford.csv"),
			Format:      "CSV",
			Geography:   "Contact address postcode, placed in LSOA, ward and local authority",
			Vintage:     "2023-04-04",
			Checks:      ingest.Checks{MinRows: 500, MaxRows: 1500},
		}, "charity", svcLayout{
			spec: format.FileSpec{Kind: "csv", NullTokens: []string{"NA"}, Columns: []format.Column{
				key(text("charity_number", "registered_charity_number"), digitsCode),
				text("company_number", "charity_company_registration_number"),
				required(text("name", "charity_name")),
				text("charity_type", "charity_type"),
				text("activities", "charity_activities"),
				svcDate("registered", nil, "date_of_registration"),
				text("address", "charity_contact_address"),
				required(text("postcode", "charity_contact_postcode")),
				text("phone", "charity_contact_phone"),
				text("email", "charity_contact_email"),
				text("web", "charity_contact_web"),
			}},
			id: "charity_number", sourceID: "charity_number", subtype: svcText("charity_type"), name: svcText("name"),
			address: []string{"address"}, postcode: svcText("postcode"), opened: "registered",
			attrs: []string{"company_number", "company_number", "activities", "activities", "phone", "phone", "email", "email", "website", "web"},
		}),
	}
}
