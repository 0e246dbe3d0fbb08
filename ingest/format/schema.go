package format

import "github.com/apache/arrow-go/v18/arrow"

// Geometry output column names, appended after Columns when FileSpec.Geometry
// is set.
const (
	colGeometry    = "geometry"
	colMinX        = "minx"
	colMinY        = "miny"
	colMaxX        = "maxx"
	colMaxY        = "maxy"
	colCentroidLon = "centroid_lon"
	colCentroidLat = "centroid_lat"
)

// DecimalPrecision is the precision of every Decimal column.
const DecimalPrecision = 18

// ArrowType returns the Arrow type of a column: Text->utf8, Int->int64,
// Float->float64, Decimal->decimal128(18, Scale), Date->date32,
// Bool->boolean.
func ArrowType(c Column) arrow.DataType {
	switch c.Type {
	case Int:
		return arrow.PrimitiveTypes.Int64
	case Float:
		return arrow.PrimitiveTypes.Float64
	case Decimal:
		return &arrow.Decimal128Type{Precision: DecimalPrecision, Scale: c.Scale}
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	default:
		return arrow.BinaryTypes.String
	}
}

// Schema returns the Arrow schema for a spec's output: Columns in order
// (Text->utf8, Int->int64, Float->float64, Decimal->decimal128(18,Scale),
// Date->date32, Bool->boolean; all nullable), then if spec.Geometry:
// geometry (binary), minx, miny, maxx, maxy, centroid_lon, centroid_lat
// (float64), then FileColumn (utf8), LineColumn (int64), RawColumn (utf8)
// when set.
func Schema(spec FileSpec) *arrow.Schema {
	fields := make([]arrow.Field, 0, len(spec.Columns)+10)
	for _, c := range spec.Columns {
		fields = append(fields, arrow.Field{Name: c.Name, Type: ArrowType(c), Nullable: true})
	}
	if spec.Geometry {
		fields = append(fields, arrow.Field{Name: colGeometry, Type: arrow.BinaryTypes.Binary, Nullable: true})
		for _, n := range []string{colMinX, colMinY, colMaxX, colMaxY, colCentroidLon, colCentroidLat} {
			fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
		}
	}
	if spec.FileColumn != "" {
		fields = append(fields, arrow.Field{Name: spec.FileColumn, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	if spec.LineColumn != "" {
		fields = append(fields, arrow.Field{Name: spec.LineColumn, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	if spec.RawColumn != "" {
		fields = append(fields, arrow.Field{Name: spec.RawColumn, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}
