package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// giving360Paths is the fixed table from canonical column name to where the
// value sits in one grant of a 360Giving JSON data package
// (https://standard.threesixtygiving.org/). A path is a chain of member
// names separated by dots; a member that holds a list takes a selector:
//
//	name[N]    the list's element N (0-based)
//	name[key]  the first element whose member key is non-empty; element 0
//	           when none has it
//
// A member that holds a single object where the standard has a list is read
// as a list of that one object. The beneficiary columns share one selector,
// so the name, code and code type come from the same location: the first
// beneficiaryLocation that has a geoCode. Keep docs/GRANTS.md in step.
var giving360Paths = []struct{ column, path string }{
	{"identifier", "id"},
	{"title", "title"},
	{"description", "description"},
	{"currency", "currency"},
	{"amount_applied_for", "amountAppliedFor"},
	{"amount_awarded", "amountAwarded"},
	{"amount_disbursed", "amountDisbursed"},
	{"award_date", "awardDate"},
	{"planned_start_date", "plannedDates[0].startDate"},
	{"planned_end_date", "plannedDates[0].endDate"},
	{"planned_duration_months", "plannedDates[0].duration"},
	{"recipient_org_id", "recipientOrganization[0].id"},
	{"recipient_org_name", "recipientOrganization[0].name"},
	{"recipient_charity_number", "recipientOrganization[0].charityNumber"},
	{"recipient_company_number", "recipientOrganization[0].companyNumber"},
	{"recipient_postcode", "recipientOrganization[0].postalCode"},
	{"beneficiary_location_name", "beneficiaryLocation[geoCode].name"},
	{"beneficiary_code", "beneficiaryLocation[geoCode].geoCode"},
	{"beneficiary_code_type", "beneficiaryLocation[geoCode].geoCodeType"},
	{"funding_org_id", "fundingOrganization[0].id"},
	{"funding_org_name", "fundingOrganization[0].name"},
	{"funding_org_department", "fundingOrganization[0].department"},
	{"programme_code", "grantProgramme[0].code"},
	{"programme", "grantProgramme[0].title"},
	{"date_modified", "dateModified"},
	{"data_source", "dataSource"},
}

// memberName is what a name[key] selector accepts as key.
var memberName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonStep is one member of a path, with its list selector if any.
type jsonStep struct {
	name  string
	list  bool   // a selector follows the name
	index int    // name[N]
	first string // name[key]: first element with a non-empty key
}

// jsonPath is a parsed giving360Paths entry.
type jsonPath struct {
	text  string
	steps []jsonStep
}

// parseJSONPath parses the path syntax of giving360Paths.
func parseJSONPath(p string) (jsonPath, error) {
	out := jsonPath{text: p}
	for _, part := range strings.Split(p, ".") {
		st := jsonStep{name: part}
		if i := strings.IndexByte(part, '['); i >= 0 {
			if !strings.HasSuffix(part, "]") || i == 0 {
				return jsonPath{}, fmt.Errorf("path %q: bad selector in %q", p, part)
			}
			st.name, st.list = part[:i], true
			sel := part[i+1 : len(part)-1]
			if n, err := strconv.Atoi(sel); err == nil && n >= 0 {
				st.index = n
			} else if memberName.MatchString(sel) {
				st.first = sel
			} else {
				return jsonPath{}, fmt.Errorf("path %q: bad selector %q", p, sel)
			}
		}
		if st.name == "" {
			return jsonPath{}, fmt.Errorf("path %q: empty member name", p)
		}
		out.steps = append(out.steps, st)
	}
	return out, nil
}

// errJSONShape is a value of the wrong JSON type on a path.
type errJSONShape struct{ msg string }

func (e *errJSONShape) Error() string { return e.msg }

// eval finds the value at the path in a grant decoded with UseNumber. A
// missing member, an empty list or a null gives nil; a member of the wrong
// type (a string where an object or a list belongs) is an *errJSONShape.
func (p jsonPath) eval(v any) (any, error) {
	for i, st := range p.steps {
		obj, ok := v.(map[string]any)
		if !ok {
			if v == nil {
				return nil, nil
			}
			where := "the grant"
			if i > 0 {
				where = pathPrefix(p.steps[:i])
			}
			return nil, &errJSONShape{fmt.Sprintf("%s is %s, not an object", where, jsonKind(v))}
		}
		v = obj[st.name]
		if !st.list || v == nil {
			continue
		}
		var list []any
		switch x := v.(type) {
		case []any:
			list = x
		case map[string]any:
			list = []any{x}
		default:
			return nil, &errJSONShape{fmt.Sprintf("%s is %s, not a list", pathPrefix(p.steps[:i+1]), jsonKind(v))}
		}
		v = nil
		switch {
		case st.first != "":
			for _, e := range list {
				if o, ok := e.(map[string]any); ok && cellString(o[st.first]) != "" {
					v = e
					break
				}
			}
			if v == nil && len(list) > 0 {
				v = list[0]
			}
		case st.index < len(list):
			v = list[st.index]
		}
	}
	switch v.(type) {
	case map[string]any, []any:
		return nil, &errJSONShape{fmt.Sprintf("%s is %s, not a single value", p.text, jsonKind(v))}
	}
	return v, nil
}

func pathPrefix(steps []jsonStep) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.name
	}
	return strings.Join(names, ".")
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// cellString renders a leaf JSON value as a cell: strings as they are,
// numbers exactly as written, booleans as true/false, null as "".
func cellString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Giving360Reader reads the grants of a 360Giving JSON data package
// ({"grants": [...]}) as Arrow record batches with the schema Schema(spec).
// It implements array.RecordReader.
//
// The input goes through Decode (BOM and encoding repair) and is streamed
// with an encoding/json Decoder: the top-level "grants" array is found
// wherever it sits among the object's members and decoded one grant at a
// time, so the file is never held in memory whole. Other top-level members
// are read and ignored.
//
// Each spec column is filled by its Name from a fixed table of JSON paths
// (identifier ← id, recipient_org_name ← recipientOrganization[0].name,
// beneficiary_code ← the geoCode of the first beneficiaryLocation that has
// one, and so on; see docs/GRANTS.md); Aliases are not used. Values become
// strings before the column rules of the spec apply: strings as they are,
// numbers exactly as written (no float round trip), booleans as true/false,
// null or absent as empty. A grant that is not an object, whose value on a
// path is of the wrong kind (an object where a value belongs, a string where
// a list belongs), or whose values fail the column rules is rejected with its
// 1-based index in the grants array as the line and the JSON path as the
// column. The raw column, when the spec asks for it, holds the grant as
// compact JSON.
//
// Malformed or truncated JSON, a missing "grants" array and data after the
// top-level object end the read with a *ParseError from Err that names the
// file and the grant. A Giving360Reader is not safe for concurrent use.
type Giving360Reader struct {
	refs   atomic.Int64
	file   string
	spec   FileSpec
	opts   options
	schema *arrow.Schema
	text   *Decoder
	dec    *json.Decoder
	b      *rowBuilder
	paths  []jsonPath
	vals   []string
	cur    arrow.RecordBatch
	err    error
	done   bool
	n      int // grants read

	stats   Stats
	rejects []Reject
}

// New360GivingReader reads r up to the start of its top-level "grants"
// array and returns a reader positioned at the first grant. It returns an
// error when a spec column has no JSON path in the fixed table, and a
// *ParseError when the input is not a JSON object with a "grants" array.
// file names the source in rejects and errors. The caller must Release the
// reader.
func New360GivingReader(r io.Reader, file string, spec FileSpec, opts ...Option) (rd *Giving360Reader, err error) {
	paths := make([]jsonPath, len(spec.Columns))
	labelled := spec
	labelled.Columns = append([]Column(nil), spec.Columns...)
	for i, c := range spec.Columns {
		p, ok := giving360Path(c.Name)
		if !ok {
			return nil, fmt.Errorf("360Giving reader: column %q has no JSON path (known columns: %s)", c.Name, strings.Join(Giving360Columns(), ", "))
		}
		paths[i] = p
		// Rejects name the JSON path, not the CSV header.
		labelled.Columns[i].Aliases = []string{p.text}
	}
	o := newOptions(opts)
	text := Decode(r)
	rd = &Giving360Reader{
		file:   file,
		spec:   spec,
		opts:   o,
		schema: Schema(spec),
		text:   text,
		dec:    json.NewDecoder(text),
		paths:  paths,
		vals:   make([]string, len(spec.Columns)),
	}
	rd.dec.UseNumber()
	rd.refs.Store(1)
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, &ParseError{File: file, Err: fmt.Errorf("internal error reading the start of the file: %v", p)}
		}
	}()
	if err := rd.open(); err != nil {
		return nil, err
	}
	rd.b = newRowBuilder(o.mem, labelled)
	return rd, nil
}

// Giving360Columns lists the column names New360GivingReader can fill, in
// the order of its path table.
func Giving360Columns() []string {
	out := make([]string, len(giving360Paths))
	for i, p := range giving360Paths {
		out[i] = p.column
	}
	return out
}

// Giving360Path returns the JSON path New360GivingReader reads a column
// from ("recipientOrganization[0].name"), or "" for an unknown column.
func Giving360Path(column string) string {
	p, _ := giving360Path(column)
	return p.text
}

func giving360Path(column string) (jsonPath, bool) {
	for _, p := range giving360Paths {
		if p.column == column {
			jp, err := parseJSONPath(p.path)
			if err != nil {
				// The table is fixed; TestGiving360PathTable parses every entry.
				panic(err)
			}
			return jp, true
		}
	}
	return jsonPath{}, false
}

func (g *Giving360Reader) perr(err error) *ParseError {
	return &ParseError{File: g.file, Err: err}
}

// syntax describes a decoding error, naming the grant it happened in.
func (g *Giving360Reader) syntax(where string, err error) *ParseError {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return g.perr(fmt.Errorf("truncated: the file ends %s", where))
	}
	return g.perr(fmt.Errorf("malformed JSON %s: %w", where, err))
}

// open reads up to the '[' of the grants array.
func (g *Giving360Reader) open() error {
	tok, err := g.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return g.perr(errors.New("not a 360Giving JSON file: the file is empty"))
		}
		return g.perr(fmt.Errorf("not a 360Giving JSON file: %w", err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return g.perr(fmt.Errorf(`not a 360Giving data package: the top level is %s, not an object with a "grants" list`, tokenKind(tok)))
	}
	var seen []string
	for g.dec.More() {
		key, err := g.key("before the grants")
		if err != nil {
			return err
		}
		if key == "grants" {
			tok, err := g.dec.Token()
			if err != nil {
				return g.syntax(`in the "grants" member`, err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return g.perr(fmt.Errorf(`"grants" is %s, not a list`, tokenKind(tok)))
			}
			return nil
		}
		var skip json.RawMessage
		if err := g.dec.Decode(&skip); err != nil {
			return g.syntax(fmt.Sprintf("in the top-level member %q", key), err)
		}
		seen = append(seen, strconv.Quote(key))
	}
	if _, err := g.dec.Token(); err != nil {
		return g.syntax("inside the top-level object", err)
	}
	members := "none"
	if len(seen) > 0 {
		sort.Strings(seen)
		members = strings.Join(seen, ", ")
	}
	return g.perr(fmt.Errorf(`not a 360Giving data package: no top-level "grants" list (members: %s)`, members))
}

func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// key reads a member name.
func (g *Giving360Reader) key(where string) (string, error) {
	tok, err := g.dec.Token()
	if err != nil {
		return "", g.syntax(where, err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", g.perr(fmt.Errorf("malformed JSON %s: %v where a member name belongs", where, tok))
	}
	return k, nil
}

// finish reads what follows the grants array: the remaining top-level
// members and the closing brace, then checks nothing follows.
func (g *Giving360Reader) finish() error {
	after := fmt.Sprintf("after grant %d", g.n)
	if _, err := g.dec.Token(); err != nil { // ']'
		return g.syntax(after, err)
	}
	for g.dec.More() {
		key, err := g.key("after the grants list")
		if err != nil {
			return err
		}
		if key == "grants" {
			return g.perr(errors.New(`a second top-level "grants" member`))
		}
		var skip json.RawMessage
		if err := g.dec.Decode(&skip); err != nil {
			return g.syntax(fmt.Sprintf("in the top-level member %q", key), err)
		}
	}
	if _, err := g.dec.Token(); err != nil { // '}'
		return g.syntax("before the end of the top-level object", err)
	}
	if tok, err := g.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return g.syntax("after the top-level object", err)
		}
		return g.perr(fmt.Errorf("data after the top-level object: %v", tok))
	}
	return nil
}

// Schema returns Schema(spec).
func (g *Giving360Reader) Schema() *arrow.Schema { return g.schema }

// RecordBatch returns the current batch; it is valid until the next call to
// Next or Release (Retain it to keep it).
func (g *Giving360Reader) RecordBatch() arrow.RecordBatch { return g.cur }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (g *Giving360Reader) Record() arrow.RecordBatch { return g.cur }

// Err returns the error that ended the read (a *ParseError), or nil. Check
// it after Next returns false.
func (g *Giving360Reader) Err() error { return g.err }

// Rejects returns the rejected grants so far (at most the WithMaxRejects
// limit; Stats().Rejected counts them all).
func (g *Giving360Reader) Rejects() []Reject { return g.rejects }

// Stats returns the counts so far: DataLines counts grants. They are final
// once Next has returned false.
func (g *Giving360Reader) Stats() Stats {
	s := g.stats
	s.Encoding = g.text.Encoding()
	return s
}

// Retain increases the reference count by 1.
func (g *Giving360Reader) Retain() { g.refs.Add(1) }

// Release decreases the reference count by 1; at zero it frees the current
// batch and the builders.
func (g *Giving360Reader) Release() {
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
	g.done = true
}

// Next reads up to the chunk size of grants into a new record batch. It
// returns false at the end of the input or on a failure (see Err).
func (g *Giving360Reader) Next() (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			g.err = g.perr(fmt.Errorf("internal error after grant %d: %v", g.n, p))
			g.done = true
			if g.cur != nil {
				g.cur.Release()
				g.cur = nil
			}
			ok = false
		}
	}()
	if g.cur != nil {
		g.cur.Release()
		g.cur = nil
	}
	if g.b == nil {
		return false
	}
	for !g.done && g.b.len() < g.opts.chunk {
		if err := g.step(); err != nil {
			g.err = err
			g.done = true
		}
	}
	if g.err != nil || g.b.len() == 0 {
		// A failed file loads nothing from its last batch either: the
		// runner fails the whole run on Err.
		return false
	}
	g.cur = g.b.newRecord()
	return true
}

// step reads one grant, or the end of the array.
func (g *Giving360Reader) step() error {
	if !g.dec.More() {
		if err := g.finish(); err != nil {
			return err
		}
		g.done = true
		return nil
	}
	var v any
	if err := g.dec.Decode(&v); err != nil {
		return g.syntax(fmt.Sprintf("inside grant %d", g.n+1), err)
	}
	g.n++
	g.add(v)
	return nil
}

// add converts one grant and appends it, or records its reject.
func (g *Giving360Reader) add(v any) {
	g.stats.DataLines++
	m := rowMeta{File: g.file, Line: g.n}
	if _, ok := v.(map[string]any); !ok {
		g.reject(Reject{File: g.file, Line: g.n, Value: truncateValue(compactJSON(v)),
			Reason: fmt.Sprintf("grant is %s, not an object", jsonKind(v))})
		return
	}
	for i, p := range g.paths {
		x, err := p.eval(v)
		if err != nil {
			x, _ := p.evalRaw(v)
			g.reject(Reject{File: g.file, Line: g.n, Column: p.text, Value: truncateValue(compactJSON(x)), Reason: err.Error()})
			return
		}
		g.vals[i] = cellString(x)
	}
	if g.spec.RawColumn != "" {
		m.Raw = compactJSON(v)
	}
	if rj := g.b.appendRow(g.vals, m); rj != nil {
		g.reject(*rj)
		return
	}
	g.stats.Rows++
}

// evalRaw follows the path as far as it goes, for the value of a reject.
func (p jsonPath) evalRaw(v any) (any, bool) {
	for _, st := range p.steps {
		obj, ok := v.(map[string]any)
		if !ok {
			return v, false
		}
		v = obj[st.name]
	}
	return v, true
}

func (g *Giving360Reader) reject(r Reject) {
	g.stats.Rejected++
	if len(g.rejects) < g.opts.maxRejects {
		g.rejects = append(g.rejects, r)
	}
}

// compactJSON renders a decoded value as JSON (object members sorted).
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// LooksLikeJSONObject reports whether head, the first bytes of a file,
// starts with '{' after any UTF-8 BOM and white space: how the runner tells
// a 360Giving JSON package from the CSV form of the same data.
func LooksLikeJSONObject(head []byte) bool {
	for _, bom := range [][]byte{bomUTF8Double, bomUTF8} {
		if len(head) >= len(bom) && string(head[:len(bom)]) == string(bom) {
			head = head[len(bom):]
			break
		}
	}
	for _, c := range head {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

var _ array.RecordReader = (*Giving360Reader)(nil)
