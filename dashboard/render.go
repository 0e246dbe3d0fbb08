package dashboard

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed templates
var templateFS embed.FS

// page is what every view gets.
type page struct {
	Title       string
	Description string
	Synthetic   bool
	Path        string
	Data        any
}

// views holds one parsed template set per page (layout + page).
type views struct {
	pages map[string]*template.Template
}

func loadViews(st *staticFiles) (*views, error) {
	funcs := template.FuncMap{
		"static": st.url,
		"thousands": func(v any) string {
			switch n := v.(type) {
			case int64:
				return thousands(n)
			case int:
				return thousands(int64(n))
			case float64:
				return thousands(int64(math.Round(n)))
			}
			return fmt.Sprint(v)
		},
		"date":      func(t time.Time) string { return t.Local().Format("2 January 2006") },
		"lower":     strings.ToLower,
		"levelName": levelName,
		"mul100":    func(f float64) float64 { return f * 100 },
		"inc":       func(i int) int { return i + 1 },
		// pct is a share as a whole percentage, for width classes (w0…w100):
		// the CSP forbids inline styles.
		"pct": func(f float64) int { return int(math.Round(math.Max(0, math.Min(1, f)) * 100)) },
	}
	// Partials (templates/partials/*.html) are shared by every page: each
	// defines a block a page can include with {{template "name" .}}.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		v.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	for _, required := range []string{"home", "area", "area_new", "briefing", "sources", "rejects", "search", "error"} {
		if v.pages[required] == nil {
			return nil, fmt.Errorf("templates: missing %s.html", required)
		}
	}
	return v, nil
}

// Render implements echo.Renderer.
func (v *views) Render(w io.Writer, name string, data any, c echo.Context) error {
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("no view %q", name)
	}
	if p, ok := data.(page); ok {
		p.Path = c.Request().URL.RequestURI()
		data = p
	}
	return t.ExecuteTemplate(w, "layout.html", data)
}

// render draws a page outside a request (the page store's prerendering):
// a page's Path is not used by the templates, so it is left empty.
func (v *views) render(w io.Writer, name string, p page) error {
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("no view %q", name)
	}
	return t.ExecuteTemplate(w, "layout.html", p)
}

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

var levelNames = map[string]string{
	"lsoa11": "Neighbourhood (LSOA 2011)", "lsoa21": "Neighbourhood (LSOA 2021)", "msoa21": "Middle layer area (MSOA 2021)",
	"ward": "Electoral ward", "lad": "Local authority", "custom": "Community-defined area", "country": "Country",
}

func levelName(level string) string {
	if n, ok := levelNames[level]; ok {
		return n
	}
	return level
}
