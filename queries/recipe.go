package queries

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"commonground/warehouse"
)

// Recipes are saved, parameterised queries: one .sql file each in
// queries/recipes/, with a comment header naming the recipe, explaining it
// in plain English and declaring its parameters, which the dashboard turns
// into a form. Parameters are bound as DuckDB named parameters ($name),
// never spliced into the text. See docs/RECIPES.md.

//go:embed recipes/*.sql
var recipeFiles embed.FS

// Parameter kinds a recipe may declare.
const (
	KindArea    = "area"    // an area code; the form accepts a code or a name
	KindChoice  = "choice"  // one of a list, or of the rows of a query
	KindInteger = "integer" // a whole number, optionally bounded
	KindDouble  = "double"  // a number, optionally bounded
	KindText    = "text"    // free text (up to 200 characters)
	KindDate    = "date"    // YYYY-MM-DD
)

// RecipeParam is one declared parameter of a recipe.
type RecipeParam struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
	Hint  string `json:"hint,omitempty"`
	// Levels limits an area parameter to some area levels (empty: any).
	Levels []string `json:"levels,omitempty"`
	// Choices is a fixed list for a choice parameter; ChoiceSQL a query
	// whose first column is the value and optional second the label.
	Choices   []string `json:"choices,omitempty"`
	ChoiceSQL string   `json:"choice_query,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	Default   string   `json:"default"`

	line int
}

// Recipe is one recipe file. Values are read-only once loaded.
type Recipe struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	Group       string        `json:"group"`
	Params      []RecipeParam `json:"params"`
	Caveats     []string      `json:"caveats,omitempty"`
	// Columns are the result columns, as DuckDB reports them at Validate.
	Columns []string `json:"columns,omitempty"`
	// Geometry is true when the result has a geometry column (WKB) or
	// lon and lat columns, so it can be downloaded as GeoJSON.
	Geometry bool   `json:"geojson"`
	File     string `json:"file"`
	SQL      string `json:"-"`

	lines    map[string]int
	bodyLine int
	used     map[string]int // parameter -> line of first use
}

// RecipeBook is the set of recipes, in file-name order.
type RecipeBook struct {
	list []*Recipe
	byID map[string]*Recipe
}

var (
	recipeFields = map[string]struct{ required, repeatable bool }{
		"id": {true, false}, "title": {true, false}, "description": {true, false}, "group": {true, false},
		"param": {false, true}, "caveat": {false, true},
	}
	recipeParamPattern = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s+(area|choice|integer|double|text|date)\b\s*(.*)$`)
	boundsPattern      = regexp.MustCompile(`^\[\s*([-0-9.eE+]+)\s*,\s*([-0-9.eE+]+)\s*\]\s*(.*)$`)
	datePattern        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// DefaultRecipes loads the recipes embedded in the binary (queries/recipes/*.sql).
func DefaultRecipes() (*RecipeBook, error) {
	sub, err := fs.Sub(recipeFiles, "recipes")
	if err != nil {
		return nil, err
	}
	return loadRecipes(sub, "queries/recipes/")
}

// LoadRecipes parses every *.sql file at the root of fsys. Errors name the
// file and line of every problem found.
func LoadRecipes(fsys fs.FS) (*RecipeBook, error) { return loadRecipes(fsys, "") }

func loadRecipes(fsys fs.FS, prefix string) (*RecipeBook, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("load recipes: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("load recipes: no .sql files")
	}
	sort.Strings(names)
	b := &RecipeBook{byID: map[string]*Recipe{}}
	var errs []error
	for _, name := range names {
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("load recipes: %w", err))
			continue
		}
		r, err := parseRecipe(prefix+name, string(text))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := b.byID[r.ID]; dup {
			errs = append(errs, &FileError{File: r.File, Line: r.lines["id"], Err: fmt.Errorf("id %q is also used by %s", r.ID, prev.File)})
			continue
		}
		b.byID[r.ID] = r
		b.list = append(b.list, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return b, nil
}

// List returns the recipes in file-name order.
func (b *RecipeBook) List() []*Recipe { return b.list }

// Recipe returns one recipe, or an error wrapping ErrNotFound.
func (b *RecipeBook) Recipe(id string) (*Recipe, error) {
	if r, ok := b.byID[id]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("%w: no recipe %q", ErrNotFound, id)
}

// groupOrder is the order of the groups community workers see; other
// groups follow in the order they first appear.
var groupOrder = []string{"Services", "Deprivation", "Money", "People"}

// Groups returns the recipes grouped by their group field.
func (b *RecipeBook) Groups() []RecipeGroup {
	var out []RecipeGroup
	at := map[string]int{}
	for _, g := range groupOrder {
		at[g] = len(out)
		out = append(out, RecipeGroup{Name: g})
	}
	for _, r := range b.list {
		i, ok := at[r.Group]
		if !ok {
			i = len(out)
			at[r.Group] = i
			out = append(out, RecipeGroup{Name: r.Group})
		}
		out[i].Recipes = append(out[i].Recipes, r)
	}
	kept := out[:0]
	for _, g := range out {
		if len(g.Recipes) > 0 {
			kept = append(kept, g)
		}
	}
	return kept
}

// RecipeGroup is a named group of recipes.
type RecipeGroup struct {
	Name    string
	Recipes []*Recipe
}

func parseRecipe(name, text string) (*Recipe, error) {
	r := &Recipe{File: name, SQL: text, lines: map[string]int{}}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &FileError{File: name, Line: line, Err: fmt.Errorf(format, args...)})
	}
	values := map[string]string{}
	lines := strings.Split(text, "\n")
	last := ""
	i := 0
	for ; i < len(lines); i++ {
		raw := strings.TrimRight(lines[i], "\r \t")
		n := i + 1
		if strings.TrimSpace(raw) == "" {
			if len(values) > 0 || len(r.Params) > 0 {
				break
			}
			continue
		}
		if !strings.HasPrefix(raw, "--") {
			break
		}
		if m := headerLine.FindStringSubmatch(raw); m != nil {
			key, val := m[1], strings.TrimSpace(m[2])
			spec, ok := recipeFields[key]
			if !ok {
				fail(n, "unknown header field %q (fields: id, title, description, group, param, caveat)", key)
				last = ""
				continue
			}
			if val == "" {
				fail(n, "header field %q is empty", key)
			}
			switch {
			case key == "param":
				p, err := parseRecipeParam(val)
				if err != nil {
					fail(n, "%v", err)
				} else {
					p.line = n
					r.Params = append(r.Params, p)
				}
			case key == "caveat":
				r.Caveats = append(r.Caveats, val)
			case spec.repeatable:
			default:
				if _, dup := values[key]; dup {
					fail(n, "header field %q repeated (first on line %d)", key, r.lines[key])
				}
				values[key] = val
			}
			if _, seen := r.lines[key]; !seen {
				r.lines[key] = n
			}
			last = key
			continue
		}
		cont := strings.TrimPrefix(raw, "--")
		if last != "" && last != "param" && strings.HasPrefix(cont, "  ") {
			cont = strings.TrimSpace(cont)
			if last == "caveat" {
				r.Caveats[len(r.Caveats)-1] += " " + cont
			} else {
				values[last] += " " + cont
			}
			continue
		}
		if last == "param" && strings.HasPrefix(cont, "  ") {
			fail(n, "a param does not continue on the next line")
			continue
		}
		if strings.TrimSpace(cont) == "" {
			last = ""
			continue
		}
		fail(n, "header line is not \"-- field: value\" (fields: id, title, description, group, param, caveat)")
		last = ""
	}
	r.bodyLine = i + 1
	for j := i; j < len(lines); j++ {
		if t := strings.TrimSpace(lines[j]); t != "" && !strings.HasPrefix(t, "--") {
			r.bodyLine = j + 1
			break
		}
	}
	if strings.TrimSpace(strings.Join(lines[i:], "\n")) == "" {
		fail(len(lines), "no SQL after the header")
	}
	for key, spec := range recipeFields {
		if _, ok := values[key]; spec.required && !ok {
			fail(1, "missing header field %q", key)
		}
	}
	r.ID, r.Title, r.Description, r.Group = values["id"], values["title"], values["description"], values["group"]
	if v, ok := values["id"]; ok {
		if !idPattern.MatchString(v) {
			fail(r.lines["id"], "id %q must be lower case letters, digits and underscores", v)
		} else if stem := strings.TrimSuffix(path.Base(name), ".sql"); stem != v {
			fail(r.lines["id"], "id %q does not match the file name %q", v, path.Base(name))
		}
	}
	// Parameters used in the SQL must be declared, and declared ones used.
	used := map[string]int{}
	for ln := i + 1; ln <= len(lines); ln++ {
		for _, m := range dollarParam.FindAllStringSubmatch(stripComment(lines[ln-1]), -1) {
			if _, ok := used[m[1]]; !ok {
				used[m[1]] = ln
			}
		}
	}
	declared := map[string]bool{}
	for _, p := range r.Params {
		if declared[p.Name] {
			fail(p.line, "param %q declared twice", p.Name)
		}
		declared[p.Name] = true
		if _, ok := used[p.Name]; !ok {
			fail(p.line, "param %q is declared but the SQL does not use $%s", p.Name, p.Name)
		}
	}
	for p, ln := range used {
		if !declared[p] {
			fail(ln, "undeclared parameter $%s (declare it: -- param: %s integer [1, 100] = 10 | Label)", p, p)
		}
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	r.used = used
	return r, nil
}

// parseRecipeParam reads "name kind[(args)] [[min, max]] = default [| label [| hint]]".
func parseRecipeParam(v string) (RecipeParam, error) {
	m := recipeParamPattern.FindStringSubmatch(v)
	if m == nil {
		return RecipeParam{}, fmt.Errorf("param %q is not \"name kind = default | label\" (kinds: area, choice(...), integer, double, text, date)", v)
	}
	p := RecipeParam{Name: m[1], Kind: m[2]}
	rest := strings.TrimSpace(m[3])
	// (args): balanced parentheses, so a choice query may hold its own.
	if strings.HasPrefix(rest, "(") {
		depth, end := 0, -1
		inStr := false
		for i, c := range rest {
			switch {
			case c == '\'':
				inStr = !inStr
			case inStr:
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 && end < 0 {
					end = i
				}
			}
			if end >= 0 {
				break
			}
		}
		if end < 0 {
			return p, fmt.Errorf("param %s: unbalanced parentheses", p.Name)
		}
		args := strings.TrimSpace(rest[1:end])
		rest = strings.TrimSpace(rest[end+1:])
		switch p.Kind {
		case KindArea:
			for _, l := range splitList(args) {
				if !contains(levels, l) {
					return p, fmt.Errorf("param %s: unknown level %q (want %s)", p.Name, l, strings.Join(levels, ", "))
				}
				p.Levels = append(p.Levels, l)
			}
		case KindChoice:
			up := strings.ToUpper(args)
			if strings.HasPrefix(up, "SELECT") || strings.HasPrefix(up, "WITH") {
				p.ChoiceSQL = args
			} else {
				for _, c := range splitList(args) {
					p.Choices = append(p.Choices, strings.Trim(c, `'"`))
				}
			}
			if p.ChoiceSQL == "" && len(p.Choices) == 0 {
				return p, fmt.Errorf("param %s: choice needs a list or a query", p.Name)
			}
		default:
			return p, fmt.Errorf("param %s: kind %s takes no (arguments)", p.Name, p.Kind)
		}
	} else if p.Kind == KindChoice {
		return p, fmt.Errorf("param %s: choice needs a list or a query: choice(a, b) or choice(SELECT ...)", p.Name)
	}
	if bm := boundsPattern.FindStringSubmatch(rest); bm != nil {
		if p.Kind != KindInteger && p.Kind != KindDouble {
			return p, fmt.Errorf("param %s: only integer and double take [min, max]", p.Name)
		}
		lo, err1 := strconv.ParseFloat(bm[1], 64)
		hi, err2 := strconv.ParseFloat(bm[2], 64)
		if err1 != nil || err2 != nil || lo > hi {
			return p, fmt.Errorf("param %s: bounds [%s, %s] are not two numbers, low first", p.Name, bm[1], bm[2])
		}
		p.Min, p.Max = &lo, &hi
		rest = strings.TrimSpace(bm[3])
	}
	if !strings.HasPrefix(rest, "=") {
		return p, fmt.Errorf("param %s: missing \"= default\"", p.Name)
	}
	rest = strings.TrimSpace(rest[1:])
	parts := strings.Split(rest, "|")
	p.Default = strings.Trim(strings.TrimSpace(parts[0]), `'"`)
	if len(parts) > 1 {
		p.Label = strings.TrimSpace(parts[1])
	}
	if len(parts) > 2 {
		p.Hint = strings.TrimSpace(strings.Join(parts[2:], "|"))
	}
	if p.Label == "" {
		p.Label = strings.ToUpper(p.Name[:1]) + strings.ReplaceAll(p.Name[1:], "_", " ")
	}
	if p.Default == "" {
		return p, fmt.Errorf("param %s: empty default", p.Name)
	}
	if _, msg := p.check(p.Default); msg != "" {
		return p, fmt.Errorf("param %s: default %q: %s", p.Name, p.Default, msg)
	}
	if len(p.Choices) > 0 && !contains(p.Choices, p.Default) {
		return p, fmt.Errorf("param %s: default %q is not one of the choices", p.Name, p.Default)
	}
	return p, nil
}

// check converts a value for binding, or says (in plain English) what is
// wrong with it. Area and choice membership are checked by Bind.
func (p RecipeParam) check(v string) (any, string) {
	switch p.Kind {
	case KindInteger:
		n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
		if err != nil {
			return nil, "enter a whole number" + p.boundsText()
		}
		if (p.Min != nil && float64(n) < *p.Min) || (p.Max != nil && float64(n) > *p.Max) {
			return nil, "enter a whole number" + p.boundsText()
		}
		return n, ""
	case KindDouble:
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, "enter a number" + p.boundsText()
		}
		if (p.Min != nil && f < *p.Min) || (p.Max != nil && f > *p.Max) {
			return nil, "enter a number" + p.boundsText()
		}
		return f, ""
	case KindDate:
		if !datePattern.MatchString(v) {
			return nil, "enter a date as YYYY-MM-DD, for example 2024-04-01"
		}
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return nil, "enter a real date as YYYY-MM-DD"
		}
		return d, ""
	case KindText, KindArea, KindChoice:
		if len(v) > 200 {
			return nil, "enter at most 200 characters"
		}
		return v, ""
	}
	return nil, "unknown kind " + p.Kind
}

func (p RecipeParam) boundsText() string {
	if p.Min == nil {
		return ""
	}
	return " from " + strconv.FormatFloat(*p.Min, 'f', -1, 64) + " to " + strconv.FormatFloat(*p.Max, 'f', -1, 64)
}

// Option is one entry of a choice parameter's list.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Options lists a choice parameter's values (running its query, if it has
// one), or, for an area parameter, local authorities with neighbourhood
// data and custom areas, for a picker.
func (p RecipeParam) Options(ctx context.Context, db *warehouse.DB) ([]Option, error) {
	var out []Option
	switch {
	case p.Kind == KindChoice && p.ChoiceSQL == "":
		for _, c := range p.Choices {
			out = append(out, Option{Value: c, Label: c})
		}
		return out, nil
	case p.Kind == KindChoice:
		err := scanEach(ctx, db, p.ChoiceSQL, func(rows *sql.Rows) error {
			cols, err := rows.Columns()
			if err != nil {
				return err
			}
			var v, l sql.NullString
			dest := []any{&v}
			if len(cols) > 1 {
				dest = append(dest, &l)
			}
			for len(dest) < len(cols) {
				dest = append(dest, new(any))
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if !v.Valid {
				return nil
			}
			o := Option{Value: v.String, Label: v.String}
			if l.Valid && l.String != "" {
				o.Label = l.String
			}
			out = append(out, o)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("options for %s: %w", p.Name, err)
		}
		return out, nil
	case p.Kind == KindArea:
		q := `SELECT code, name, level FROM areas a WHERE (level = 'lad' AND EXISTS (SELECT 1 FROM areas l WHERE l.lad_code = a.code AND l.level IN ('lsoa11','lsoa21')))
			OR level = 'custom' ORDER BY level = 'custom', name`
		err := scanEach(ctx, db, q, func(rows *sql.Rows) error {
			var code, level string
			var name sql.NullString
			if err := rows.Scan(&code, &name, &level); err != nil {
				return err
			}
			if len(p.Levels) > 0 && !contains(p.Levels, level) {
				return nil
			}
			out = append(out, Option{Value: code, Label: name.String + " (" + levelName(level) + ")"})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("areas for %s: %w", p.Name, err)
		}
		return out, nil
	}
	return nil, nil
}

// Binding is a recipe's parameters checked against a request: the values
// to show in the form, the arguments to run with, and what is wrong.
type Binding struct {
	// Values are the values as entered (or defaulted), by parameter name;
	// for areas, the resolved code.
	Values map[string]string
	// AreaNames names each resolved area parameter ("Trafford").
	AreaNames map[string]string
	// Args are sql.Named arguments, one per parameter, valid when Errors is empty.
	Args []any
	// Errors are plain-English problems by parameter name.
	Errors map[string]string
}

// OK reports whether every parameter bound.
func (b Binding) OK() bool { return len(b.Errors) == 0 }

// Bind checks values (a missing or empty one takes its default) and
// resolves areas by code or name.
func (r *Recipe) Bind(ctx context.Context, db *warehouse.DB, get func(string) string) (Binding, error) {
	b := Binding{Values: map[string]string{}, AreaNames: map[string]string{}, Errors: map[string]string{}}
	for _, p := range r.Params {
		v := strings.TrimSpace(get(p.Name))
		defaulted := v == ""
		if defaulted {
			v = p.Default
		}
		b.Values[p.Name] = v
		val, msg := p.check(v)
		if msg != "" {
			b.Errors[p.Name] = p.Label + ": " + msg
			continue
		}
		switch p.Kind {
		case KindArea:
			code, name, msg, err := ResolveArea(ctx, db, v, p.Levels)
			if err != nil {
				return b, err
			}
			if msg != "" && defaulted {
				// The default area is not loaded here: offer the first
				// one the picker lists instead of an error nobody caused.
				if opts, err := p.Options(ctx, db); err == nil && len(opts) > 0 {
					code, name, msg, err = ResolveArea(ctx, db, opts[0].Value, p.Levels)
					if err != nil {
						return b, err
					}
				}
			}
			if msg != "" {
				b.Errors[p.Name] = p.Label + ": " + msg
				continue
			}
			b.Values[p.Name], b.AreaNames[p.Name], val = code, name, code
		case KindChoice:
			opts, err := p.Options(ctx, db)
			if err != nil {
				return b, err
			}
			found := false
			for _, o := range opts {
				found = found || o.Value == v
			}
			if !found && defaulted && p.ChoiceSQL != "" && len(opts) > 0 {
				// A default the data does not have: the first option.
				v, found = opts[0].Value, true
				b.Values[p.Name], val = v, v
			}
			if !found {
				b.Errors[p.Name] = p.Label + ": choose one of the options in the list"
				continue
			}
		}
		b.Args = append(b.Args, sql.Named(p.Name, val))
	}
	return b, nil
}

// ResolveArea finds an area by code or name. msg is a plain-English
// problem (not found, or which of several was meant); err is a failure.
func ResolveArea(ctx context.Context, db *warehouse.DB, input string, allowed []string) (code, name, msg string, err error) {
	input = strings.TrimSpace(input)
	code, name, msg, err = resolveArea(ctx, db, input, allowed)
	// "Trafford (local authority)", as the picker labels it.
	if i := strings.LastIndex(input, " ("); err == nil && code == "" && i > 0 && strings.HasSuffix(input, ")") {
		if c, n, m, e := resolveArea(ctx, db, strings.TrimSpace(input[:i]), allowed); e != nil || c != "" {
			return c, n, m, e
		}
	}
	return code, name, msg, err
}

var postcodeLike = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}$`)

func resolveArea(ctx context.Context, db *warehouse.DB, input string, allowed []string) (code, name, msg string, err error) {
	if postcodeLike.MatchString(input) {
		return resolvePostcode(ctx, db, input, allowed)
	}
	type cand struct{ code, name, level string }
	var cands []cand
	seen := map[string]bool{}
	err = scanEach(ctx, db, `SELECT code, coalesce(name, code), level FROM areas
		WHERE code = upper($q) OR lower(name) = lower($q) OR name ILIKE '%' || $q || '%'
		ORDER BY code = upper($q) DESC, lower(name) = lower($q) DESC,
		  CASE level WHEN 'lad' THEN 0 WHEN 'custom' THEN 1 WHEN 'ward' THEN 2 WHEN 'msoa21' THEN 3 WHEN 'lsoa21' THEN 4 ELSE 5 END, name
		LIMIT 50`, func(rows *sql.Rows) error {
		var c cand
		if err := rows.Scan(&c.code, &c.name, &c.level); err != nil {
			return err
		}
		// An LSOA unchanged between 2011 and 2021 is one area with one code.
		if !seen[c.code] && (len(allowed) == 0 || contains(allowed, c.level)) {
			cands = append(cands, c)
			seen[c.code] = true
		}
		return nil
	}, sql.Named("q", input))
	if err != nil {
		return "", "", "", fmt.Errorf("resolve area %q: %w", input, err)
	}
	kinds := "an area"
	if len(allowed) > 0 {
		var ks []string
		for _, l := range allowed {
			ks = append(ks, levelName(l))
		}
		kinds = "a " + strings.Join(ks, " or ")
	}
	if len(cands) == 0 {
		return "", "", fmt.Sprintf("we could not find %s called or coded %q; try a name such as Trafford or a code such as E08000009", kinds, input), nil
	}
	first := cands[0]
	if strings.EqualFold(first.code, input) || strings.EqualFold(first.name, input) {
		// An exact name shared by several areas of the best level is ambiguous.
		if !strings.EqualFold(first.code, input) && len(cands) > 1 && strings.EqualFold(cands[1].name, input) && cands[1].level == first.level {
			return "", "", fmt.Sprintf("more than one %s is called %q: enter its code (%s or %s)", levelName(first.level), input, first.code, cands[1].code), nil
		}
		return first.code, first.name, "", nil
	}
	if len(cands) == 1 {
		return first.code, first.name, "", nil
	}
	var some []string
	for i, c := range cands {
		if i == 4 {
			break
		}
		some = append(some, fmt.Sprintf("%s (%s)", c.name, c.code))
	}
	return "", "", fmt.Sprintf("%q matches more than one area, for example %s: enter the full name or the code", input, strings.Join(some, ", ")), nil
}

// Query is the SQL to run, with the header comments kept so DuckDB's line
// numbers are the file's.
func (r *Recipe) Query() string {
	return strings.TrimRight(strings.TrimSpace(r.SQL), "; \n\t")
}

// ValidateRecipes prepares every recipe (and every choice query) against
// the warehouse without running it: each must be a single read-only
// SELECT whose parameters are exactly those declared. It records each
// recipe's columns. Every problem is reported, naming file and line.
func (b *RecipeBook) Validate(ctx context.Context, db *warehouse.DB) error {
	var errs []error
	for _, r := range b.list {
		errs = append(errs, r.validate(ctx, db)...)
	}
	return errors.Join(errs...)
}

func (r *Recipe) validate(ctx context.Context, db *warehouse.DB) []error {
	var errs []error
	fail := func(line int, err error) { errs = append(errs, &FileError{File: r.File, Line: line, Err: err}) }
	for _, p := range r.Params {
		if p.ChoiceSQL == "" {
			continue
		}
		info, err := db.Describe(ctx, p.ChoiceSQL)
		switch {
		case err != nil:
			fail(p.line, fmt.Errorf("param %s: choice query does not prepare: %w", p.Name, err))
		case info.Type != "SELECT":
			fail(p.line, fmt.Errorf("param %s: choice query is %s, not a SELECT", p.Name, info.Type))
		case len(info.Params) > 0:
			fail(p.line, fmt.Errorf("param %s: a choice query takes no parameters", p.Name))
		}
	}
	info, err := db.Describe(ctx, r.Query())
	if err != nil {
		if ctx.Err() != nil {
			return append(errs, ctx.Err())
		}
		line := r.bodyLine
		if m := duckLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		fail(line, fmt.Errorf("SQL does not prepare: %w", err))
		return errs
	}
	if info.Type != "SELECT" {
		fail(r.bodyLine, fmt.Errorf("statement is %s, not a read-only SELECT", info.Type))
		return errs
	}
	declared := map[string]bool{}
	for _, p := range r.Params {
		declared[p.Name] = true
	}
	for _, p := range info.Params {
		if !declared[p] {
			fail(r.bodyLine, fmt.Errorf("parameter %q is not a declared $name", p))
		}
	}
	if len(info.Columns) == 1 && info.Columns[0] == "unknown" && len(info.Params) > 0 {
		line := r.bodyLine
		if l, ok := r.used[info.Params[0]]; ok {
			line = l
		}
		fail(line, fmt.Errorf("DuckDB cannot tell the result columns until the parameters' types are known: cast each where it is used ($%s::VARCHAR, ::INTEGER, ::DOUBLE)", info.Params[0]))
		return errs
	}
	r.Columns = info.Columns
	has := map[string]bool{}
	for _, c := range info.Columns {
		has[c] = true
	}
	r.Geometry = has["geometry"] || has["geom"] || (has["lon"] && has["lat"])
	return errs
}

// RecipeTable is the first rows of a recipe's result, formatted for a page.
type RecipeTable struct {
	Columns []string
	Rows    [][]string
	// Truncated is true when there were more rows than the page shows.
	Truncated bool
	// Hidden are columns left off the page (geometry and coordinates: see
	// the downloads).
	Hidden []string
}

// Run runs the recipe with bound arguments and returns up to max rows,
// formatted as text. Geometry (WKB) and lon/lat columns are left off.
func (r *Recipe) Run(ctx context.Context, db *warehouse.DB, args []any, max int) (*RecipeTable, error) {
	rows, err := db.Query(ctx, "SELECT * FROM (\n"+r.Query()+"\n) AS recipe LIMIT "+strconv.Itoa(max+1), args...)
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w", r.ID, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w", r.ID, err)
	}
	t := &RecipeTable{}
	var keep []int
	for i, c := range cols {
		if c == "geometry" || c == "geom" || c == "lon" || c == "lat" {
			t.Hidden = append(t.Hidden, c)
			continue
		}
		keep = append(keep, i)
		t.Columns = append(t.Columns, c)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(t.Rows) == max {
			t.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("recipe %s: %w", r.ID, err)
		}
		row := make([]string, len(keep))
		for j, i := range keep {
			row[j] = formatCell(vals[i])
		}
		t.Rows = append(t.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recipe %s: %w", r.ID, err)
	}
	return t, nil
}

func formatCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format(time.RFC3339)
	case []byte:
		return fmt.Sprintf("(%d bytes)", len(x))
	case fmt.Stringer:
		return x.String()
	case bool:
		if x {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprint(v)
}

// resolvePostcode finds the area a postcode is in: its ward, else its
// neighbourhood, else its local authority, whichever the parameter takes.
// The ward is the one its neighbourhood is placed in by the lookups (2011
// neighbourhoods first, as most data uses them), so that the ward has
// neighbourhoods to aggregate; the postcode's own newer ward may not.
func resolvePostcode(ctx context.Context, db *warehouse.DB, pc string, allowed []string) (code, name, msg string, err error) {
	key := strings.ToUpper(strings.ReplaceAll(pc, " ", ""))
	type cand struct{ code, name, level string }
	var cands []cand
	err = scanEach(ctx, db, `WITH p AS (SELECT * FROM postcodes WHERE postcode_key = $key LIMIT 1),
		c AS (
		    SELECT 1 AS pri, (SELECT any_value(ward_code) FROM areas WHERE level = 'lsoa11' AND code = coalesce(p.lsoa11_code, p.lsoa21_code)) AS code, 'ward' AS level FROM p
		    UNION ALL SELECT 2, (SELECT any_value(ward_code) FROM areas WHERE level = 'lsoa21' AND code = p.lsoa21_code), 'ward' FROM p
		    UNION ALL SELECT 3, p.ward_code, 'ward' FROM p
		    UNION ALL SELECT 4, p.lsoa21_code, 'lsoa21' FROM p
		    UNION ALL SELECT 5, p.lsoa11_code, 'lsoa11' FROM p
		    UNION ALL SELECT 6, p.lad_code, 'lad' FROM p)
		SELECT c.code, coalesce((SELECT any_value(name) FROM areas a WHERE a.code = c.code),
		                        (SELECT any_value(ward_name) FROM lookup_lsoa_ward_lad k WHERE k.ward_code = c.code), c.code), c.level
		FROM c WHERE c.code IS NOT NULL AND EXISTS (SELECT 1 FROM area_lsoas m WHERE m.area_code = c.code)
		ORDER BY c.pri`,
		func(rows *sql.Rows) error {
			var c cand
			if err := rows.Scan(&c.code, &c.name, &c.level); err != nil {
				return err
			}
			if len(allowed) == 0 || contains(allowed, c.level) {
				cands = append(cands, c)
			}
			return nil
		}, sql.Named("key", key))
	if err != nil {
		return "", "", "", fmt.Errorf("resolve postcode %q: %w", pc, err)
	}
	if len(cands) == 0 {
		return "", "", fmt.Sprintf("we could not place the postcode %q in an area loaded here; try the area's name or code", pc), nil
	}
	return cands[0].code, cands[0].name, "", nil
}
