package format

import (
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/paulmach/orb"
)

// GeomValue is one feature's geometry as the readers store it: WKB plus its
// bounding box and centroid (lon/lat).
type GeomValue struct {
	WKB      []byte
	Bound    orb.Bound
	Centroid orb.Point
}

// rowMeta is what a reader knows about a row besides its values.
type rowMeta struct {
	File string     // FileColumn value and Reject.File
	Line int        // LineColumn value and Reject.Line
	Raw  string     // RawColumn value
	Geom *GeomValue // geometry columns (nil: all NULL)
}

// maxRejectValue is how many bytes of an offending value a Reject keeps.
const maxRejectValue = 200

// colConv is one output column's conversion rule and builder.
type colConv struct {
	col     Column
	label   string // Reject.Column: first alias, else Name
	pattern *regexp.Regexp
	layouts []string
	str     *array.StringBuilder
	i64     *array.Int64Builder
	f64     *array.Float64Builder
	dec     *array.Decimal128Builder
	date    *array.Date32Builder
	boolean *array.BooleanBuilder
}

// cell is a converted value waiting to be appended.
type cell struct {
	null bool
	s    string
	i    int64
	f    float64
	b    bool
}

// rowBuilder converts rows of raw strings into Arrow record batches with the
// schema Schema(spec). A row is appended whole or not at all. It is not safe
// for concurrent use.
type rowBuilder struct {
	spec  FileSpec
	rb    *array.RecordBuilder
	cols  []colConv
	cells []cell
	nulls []string // trimmed NullTokens

	geom                           *array.BinaryBuilder
	minx, miny, maxx, maxy, cx, cy *array.Float64Builder
	file                           *array.StringBuilder
	line                           *array.Int64Builder
	raw                            *array.StringBuilder

	n int
}

func newRowBuilder(mem memory.Allocator, spec FileSpec) *rowBuilder {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := &rowBuilder{
		spec:  spec,
		rb:    array.NewRecordBuilder(mem, Schema(spec)),
		cols:  make([]colConv, len(spec.Columns)),
		cells: make([]cell, len(spec.Columns)),
	}
	for _, t := range spec.NullTokens {
		b.nulls = append(b.nulls, trimValue(t))
	}
	for i, c := range spec.Columns {
		cc := colConv{col: c, label: c.Name, pattern: c.Pattern, layouts: c.DateLayouts}
		if len(c.Aliases) > 0 && c.Aliases[0] != "" {
			cc.label = c.Aliases[0]
		}
		if len(cc.layouts) == 0 {
			cc.layouts = nil
		}
		f := b.rb.Field(i)
		switch c.Type {
		case Int:
			cc.i64 = f.(*array.Int64Builder)
		case Float:
			cc.f64 = f.(*array.Float64Builder)
		case Decimal:
			cc.dec = f.(*array.Decimal128Builder)
		case Date:
			cc.date = f.(*array.Date32Builder)
		case Bool:
			cc.boolean = f.(*array.BooleanBuilder)
		default:
			cc.str = f.(*array.StringBuilder)
		}
		b.cols[i] = cc
	}
	k := len(spec.Columns)
	if spec.Geometry {
		b.geom = b.rb.Field(k).(*array.BinaryBuilder)
		fs := []**array.Float64Builder{&b.minx, &b.miny, &b.maxx, &b.maxy, &b.cx, &b.cy}
		for j, p := range fs {
			*p = b.rb.Field(k + 1 + j).(*array.Float64Builder)
		}
		k += 7
	}
	if spec.FileColumn != "" {
		b.file = b.rb.Field(k).(*array.StringBuilder)
		k++
	}
	if spec.LineColumn != "" {
		b.line = b.rb.Field(k).(*array.Int64Builder)
		k++
	}
	if spec.RawColumn != "" {
		b.raw = b.rb.Field(k).(*array.StringBuilder)
	}
	return b
}

func (b *rowBuilder) isNull(s string) bool {
	if s == "" {
		return true
	}
	for _, t := range b.nulls {
		if s == t {
			return true
		}
	}
	return false
}

// truncateValue cuts v to at most maxRejectValue bytes on a rune boundary.
func truncateValue(v string) string {
	if len(v) <= maxRejectValue {
		return v
	}
	n := maxRejectValue
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}

// appendRow converts vals (one raw string per spec.Columns entry; "" or a
// short slice for missing values) with the spec's rules (null tokens,
// NotNull, Pattern, type parse) and appends the whole row. If any value fails
// it appends nothing and returns a *Reject naming the first failing column
// (its first alias, else Name), the value (truncated to 200 bytes) and the
// reason. Text values are stored trimmed of surrounding white space.
func (b *rowBuilder) appendRow(vals []string, m rowMeta) *Reject {
	for i := range b.cols {
		cc := &b.cols[i]
		var raw string
		if i < len(vals) {
			raw = vals[i]
		}
		v := trimValue(raw)
		c := &b.cells[i]
		*c = cell{}
		if b.isNull(v) {
			if cc.col.NotNull {
				return b.reject(m, cc, raw, "required value is empty")
			}
			c.null = true
			continue
		}
		if cc.pattern != nil && !cc.pattern.MatchString(v) {
			return b.reject(m, cc, raw, "does not match pattern "+cc.pattern.String())
		}
		var err error
		switch cc.col.Type {
		case Int:
			c.i, err = ParseInt(v)
		case Float:
			c.f, err = ParseFloat(v)
		case Decimal:
			c.i, err = ParseDecimal(v, cc.col.Scale)
		case Date:
			var t time.Time
			t, err = ParseDate(v, cc.layouts)
			if err == nil {
				c.i = int64(arrow.Date32FromTime(t))
			}
		case Bool:
			c.b, err = ParseBool(v)
		default:
			c.s = v
		}
		if err != nil {
			return b.reject(m, cc, raw, err.Error())
		}
	}
	for i := range b.cols {
		cc := &b.cols[i]
		c := &b.cells[i]
		switch {
		case cc.i64 != nil:
			if c.null {
				cc.i64.AppendNull()
			} else {
				cc.i64.Append(c.i)
			}
		case cc.f64 != nil:
			if c.null {
				cc.f64.AppendNull()
			} else {
				cc.f64.Append(c.f)
			}
		case cc.dec != nil:
			if c.null {
				cc.dec.AppendNull()
			} else {
				cc.dec.Append(decimal128.FromI64(c.i))
			}
		case cc.date != nil:
			if c.null {
				cc.date.AppendNull()
			} else {
				cc.date.Append(arrow.Date32(c.i))
			}
		case cc.boolean != nil:
			if c.null {
				cc.boolean.AppendNull()
			} else {
				cc.boolean.Append(c.b)
			}
		default:
			if c.null {
				cc.str.AppendNull()
			} else {
				cc.str.Append(c.s)
			}
		}
		c.s = ""
	}
	if b.geom != nil {
		if g := m.Geom; g != nil {
			b.geom.Append(g.WKB)
			b.minx.Append(g.Bound.Min[0])
			b.miny.Append(g.Bound.Min[1])
			b.maxx.Append(g.Bound.Max[0])
			b.maxy.Append(g.Bound.Max[1])
			b.cx.Append(g.Centroid[0])
			b.cy.Append(g.Centroid[1])
		} else {
			b.geom.AppendNull()
			for _, f := range []*array.Float64Builder{b.minx, b.miny, b.maxx, b.maxy, b.cx, b.cy} {
				f.AppendNull()
			}
		}
	}
	if b.file != nil {
		b.file.Append(m.File)
	}
	if b.line != nil {
		b.line.Append(int64(m.Line))
	}
	if b.raw != nil {
		b.raw.Append(m.Raw)
	}
	b.n++
	return nil
}

func (b *rowBuilder) reject(m rowMeta, cc *colConv, raw, reason string) *Reject {
	for i := range b.cells {
		b.cells[i].s = ""
	}
	return &Reject{File: m.File, Line: m.Line, Column: cc.label, Value: truncateValue(raw), Reason: reason}
}

// len is the number of rows appended since the last newRecord.
func (b *rowBuilder) len() int { return b.n }

// newRecord returns the rows appended so far as a record batch (the caller
// owns it and must Release it) and resets the builders.
func (b *rowBuilder) newRecord() arrow.RecordBatch {
	n := b.n
	b.n = 0
	rec := b.rb.NewRecordBatch()
	// Size the builders for a batch like this one: growing them by doubling
	// costs a reallocation each time (a cgo call with the C allocator).
	for i, f := range b.rb.Fields() {
		f.Reserve(n)
		switch col := rec.Column(i).(type) {
		case *array.String:
			f.(*array.StringBuilder).ReserveData(len(col.ValueBytes()))
		case *array.Binary:
			f.(*array.BinaryBuilder).ReserveData(len(col.ValueBytes()))
		}
	}
	return rec
}

// release frees the builders.
func (b *rowBuilder) release() {
	if b.rb != nil {
		b.rb.Release()
		b.rb = nil
	}
}
