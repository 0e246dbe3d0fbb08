package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestJourney is what a resident does: search by postcode from the home
// page with the keyboard, open the neighbourhood's profile, see it on the
// map, come back and open the printable briefing. Every page on the way
// must load without script errors (a CSP violation is one). TestAccessibility
// runs axe on the same pages.
func TestJourney(t *testing.T) {
	server(t)
	ctx := tab(t)
	errs := watchErrors(ctx)
	open(t, ctx, "/")
	shot(t, ctx, "home")

	// Type a Trafford postcode and press Enter, as a keyboard user would.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#q"), "M32 0TH")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.CSS("#q"), "\r")); err != nil {
		t.Fatalf("submit the search: %v", err)
	}
	loc := eval[string](t, ctx, `location.pathname`)
	if loc == "/search" {
		shot(t, ctx, "search")
		// Several matches: take the neighbourhood (LSOA) the postcode is in.
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`table a[href^="/areas/E01"]`))); err != nil {
			t.Fatalf("open the first result: %v", err)
		}
		loc = eval[string](t, ctx, `location.pathname`)
	}
	if !regexp.MustCompile(`^/areas/E0[0-9]{7}$`).MatchString(loc) {
		t.Fatalf("the postcode search ended on %s, not an area profile", loc)
	}
	profile := loc
	h1 := eval[string](t, ctx, `document.querySelector("h1").textContent.trim()`)
	if h1 == "" {
		t.Fatal("the profile has no heading")
	}
	// The profile names its local authority, Trafford.
	if !eval[bool](t, ctx, `document.querySelector('a[href="/areas/`+trafford+`"]') !== null`) {
		t.Errorf("profile %s (%s) does not link to Trafford", profile, h1)
	}
	waitFor(t, ctx, "the key facts", `document.querySelector("#facts-h") !== null`, 5*time.Second)
	shot(t, ctx, "profile")

	// See on the map: the area is selected and the map draws.
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[href^="/map?area="]`))); err != nil {
		t.Fatalf("follow 'See on the map': %v", err)
	}
	waitMap(t, ctx)
	if got := eval[string](t, ctx, `document.getElementById("map").dataset.area`); got != strings.TrimPrefix(profile, "/areas/") {
		t.Errorf("the map opened for area %q, want %s", got, profile)
	}
	shot(t, ctx, "map")

	// Back to the profile (the map keeps its state in the URL with
	// history.replaceState, so open it again rather than going back),
	// then the briefing.
	open(t, ctx, profile)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[href$="/briefing"]`))); err != nil {
		t.Fatalf("open the briefing: %v", err)
	}
	if got := eval[string](t, ctx, `location.pathname`); got != profile+"/briefing" {
		t.Fatalf("briefing link went to %s", got)
	}
	if !eval[bool](t, ctx, `document.querySelector("h1") !== null && document.body.textContent.includes(`+strconv.Quote(h1)+`)`) {
		t.Errorf("the briefing does not name the area %q", h1)
	}
	shot(t, ctx, "briefing")

	for _, e := range errs.list() {
		t.Errorf("page error: %s", e)
	}
}

// waitMap waits for MapLibre's first idle on the map explorer (map.js sets
// data-ready then) and fails if the map could not start. It takes about a
// second alone; the generous limit is for make test on a busy machine,
// where software WebGL competes with every other test binary.
func waitMap(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, "the map to draw (idle)", `(() => { const m = document.getElementById("map");
		if (!m) throw new Error("no #map on the page");
		if (m.querySelector(".map-fallback") && !m.querySelector("canvas")) throw new Error(m.textContent.trim());
		return m.dataset.ready === "true"; })()`, 60*time.Second)
}

var hexColour = regexp.MustCompile(`#[0-9a-fA-F]{6}\b`)

// TestMapTilesRender checks the map by its pixels, not its DOM: after the
// vector tiles load, most of the canvas over Trafford must be painted in
// the choropleth's own colours (read from the live fill layer), using
// several of them.
func TestMapTilesRender(t *testing.T) {
	server(t)
	ctx := tab(t)
	errs := watchErrors(ctx)
	before := tileRequests.Load()
	open(t, ctx, "/map?area="+trafford)
	waitMap(t, ctx)
	paint := eval[string](t, ctx, `(() => { const m = window.Commonground.map.instance;
		return JSON.stringify(m.getPaintProperty("areas-fill", "fill-color")); })()`)
	var palette []rgb
	for _, h := range hexColour.FindAllString(paint, -1) {
		c := parseHex(h)
		if c != (rgb{255, 255, 255}) && !containsColour(palette, c) {
			palette = append(palette, c)
		}
	}
	if len(palette) < 3 {
		t.Fatalf("the fill layer has %d colours (%s); want a choropleth", len(palette), paint)
	}
	b, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#map canvas")))
	if err != nil {
		t.Fatalf("screenshot the map: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	share, used := paletteShare(img, palette)
	t.Logf("map canvas %v: %.0f%% of pixels in %d of the %d choropleth colours", img.Bounds().Size(), 100*share, used, len(palette))
	if share < 0.25 {
		t.Errorf("only %.1f%% of the map's pixels are in the choropleth colours: the tiles did not draw", 100*share)
	}
	if used < 3 {
		t.Errorf("the map uses %d of its colours; a choropleth of Trafford should show at least 3", used)
	}
	if tileRequests.Load() == before {
		t.Error("the map drew without fetching a vector tile from /tiles/")
	}
	for _, e := range errs.list() {
		t.Errorf("page error: %s", e)
	}
}

type rgb struct{ r, g, b uint8 }

func parseHex(h string) rgb {
	v, _ := strconv.ParseUint(h[1:], 16, 32)
	return rgb{uint8(v >> 16), uint8(v >> 8), uint8(v)}
}

func containsColour(p []rgb, c rgb) bool {
	for _, x := range p {
		if x == c {
			return true
		}
	}
	return false
}

// paletteShare is the share of the image's pixels within a small distance
// of a palette colour, and how many palette colours cover at least 0.5%.
func paletteShare(img image.Image, palette []rgb) (float64, int) {
	const tol = 6
	counts := make([]int, len(palette))
	bnd := img.Bounds()
	total, hit := 0, 0
	for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
		for x := bnd.Min.X; x < bnd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			px := rgb{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
			total++
			for i, c := range palette {
				if near(px.r, c.r, tol) && near(px.g, c.g, tol) && near(px.b, c.b, tol) {
					counts[i]++
					hit++
					break
				}
			}
		}
	}
	used := 0
	for _, n := range counts {
		if float64(n) >= 0.005*float64(total) {
			used++
		}
	}
	if total == 0 {
		return 0, 0
	}
	return float64(hit) / float64(total), used
}

func near(a, b, tol uint8) bool {
	if a > b {
		return a-b <= tol
	}
	return b-a <= tol
}

var pdfPage = regexp.MustCompile(`/Type\s*/Page\b`)

// TestBriefingPrintsOnA4 prints the briefing for Trafford and for one of
// its neighbourhoods as Chromium would on A4 (the page's own @page size
// and margins): each must be exactly one page, and nothing may stick out
// past the printable width.
func TestBriefingPrintsOnA4(t *testing.T) {
	server(t)
	ctx := tab(t)
	for _, code := range []string{trafford, "E05015256", "E01006074"} {
		path := "/areas/" + code + "/briefing"
		open(t, ctx, path)
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
		if err != nil {
			t.Fatalf("print %s: %v", path, err)
		}
		if n := len(pdfPage.FindAll(pdf, -1)); n != 1 {
			t.Errorf("%s prints on %d A4 pages, want 1", path, n)
		}
		// A4 is 210 mm wide; the print CSS sets 10 mm margins, leaving
		// 190 mm, about 718 CSS px. Lay the page out at that width with
		// print styles and look for anything wider.
		const printable = 718
		if err := chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
				return err
			}),
			chromedp.EmulateViewport(printable, 1000),
		); err != nil {
			t.Fatal(err)
		}
		over := eval[[]string](t, ctx, `(() => { const w = document.documentElement.clientWidth, out = [];
			for (const el of document.body.querySelectorAll("*")) {
				const r = el.getBoundingClientRect();
				if (r.width > 0 && r.right > w + 1 && getComputedStyle(el).position !== "fixed")
					out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(r.right));
			}
			if (document.documentElement.scrollWidth > w + 1) out.unshift("page scrollWidth=" + document.documentElement.scrollWidth);
			return out.slice(0, 10); })()`)
		if len(over) > 0 {
			t.Errorf("%s overflows the printable width (%d px) of A4:\n  %s", path, printable, strings.Join(over, "\n  "))
		}
		if err := chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
				return err
			}),
			chromedp.EmulateViewport(1280, 900),
		); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGapsPage (issue 7): a community worker picks GP practices and
// Trafford on the gaps form, gets the summary, the map of Trafford's
// neighbourhoods with its text alternative, and the ranked table, whose
// first neighbourhood opens its profile.
func TestGapsPage(t *testing.T) {
	server(t)
	ctx := tab(t)
	errs := watchErrors(ctx)
	open(t, ctx, "/gaps")
	// Choose from the two lists (they must offer these options).
	if got := eval[string](t, ctx, `(() => { const s = document.querySelector("#gaps-service"), w = document.querySelector("#gaps-within");
		s.value = "gp"; w.value = "`+trafford+`"; return s.value + " " + w.value; })()`); got != "gp "+trafford {
		t.Fatalf("the gaps form does not offer GP practices in Trafford (chose %q)", got)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#gaps-submit"))); err != nil {
		t.Fatalf("submit the gaps form: %v", err)
	}
	q := eval[string](t, ctx, `location.pathname + location.search`)
	if !strings.Contains(q, "service=gp") || !strings.Contains(q, "within="+trafford) {
		t.Fatalf("the form went to %s, want /gaps?service=gp&within=%s", q, trafford)
	}
	if !eval[bool](t, ctx, `document.querySelector("#gaps-error") === null`) {
		t.Fatalf("the gaps page shows an error: %s", eval[string](t, ctx, `document.querySelector("#gaps-error").textContent.trim()`))
	}
	waitFor(t, ctx, "the summary", `document.querySelector("#gaps-summary #gaps-counts") !== null`, 5*time.Second)
	// The map: an SVG of Trafford's neighbourhoods (at least a hundred
	// shapes), with a name for screen readers.
	if n := eval[int](t, ctx, `document.querySelectorAll("#gaps-map svg[role=img] path").length`); n < 100 {
		t.Errorf("the gaps map draws %d shapes, want one per Trafford neighbourhood (>100)", n)
	}
	checkTextAlternatives(t, ctx, q)
	rows := eval[int](t, ctx, `document.querySelectorAll("#gaps-table tbody tr").length`)
	none := eval[bool](t, ctx, `document.querySelector("#gaps-none") !== null`)
	if rows == 0 && !none {
		t.Fatal("the gaps page has neither a ranked table nor the 'no neighbourhood' message")
	}
	shot(t, ctx, "gaps-trafford")
	if rows > 0 {
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#gaps-table tbody tr:first-child a[href^="/areas/"]`))); err != nil {
			t.Fatalf("open the first flagged neighbourhood: %v", err)
		}
		if p := eval[string](t, ctx, `location.pathname`); !strings.HasPrefix(p, "/areas/E01") {
			t.Errorf("the first flagged neighbourhood links to %s", p)
		}
	}
	for _, e := range errs.list() {
		t.Errorf("page error: %s", e)
	}
}

// TestCSPHolds checks the two halves of how axe is injected: the page's
// Content-Security-Policy refuses an inline script (so the dashboard
// cannot come to depend on one), while DevTools evaluation still runs.
func TestCSPHolds(t *testing.T) {
	server(t)
	ctx := tab(t)
	open(t, ctx, "/areas/"+trafford)
	blocked := eval[bool](t, ctx, `new Promise(resolve => {
		document.addEventListener("securitypolicyviolation", e => resolve(e.violatedDirective.startsWith("script-src")), {once: true});
		window.__inlineRan = false;
		const s = document.createElement("script"); s.textContent = "window.__inlineRan = true"; document.body.appendChild(s);
		setTimeout(() => resolve(false), 2000); })`)
	if !blocked || eval[bool](t, ctx, `window.__inlineRan`) {
		t.Error("an inline script ran on the profile: the Content-Security-Policy does not forbid inline scripts")
	}
	if !eval[bool](t, ctx, `(() => { const d = document.createElement("div"); d.setAttribute("style", "color: red"); document.body.appendChild(d);
		return getComputedStyle(d).color !== "rgb(255, 0, 0)"; })()`) {
		t.Error("an inline style attribute applied: the Content-Security-Policy does not forbid inline styles")
	}
	if got := eval[int](t, ctx, `6 * 7`); got != 42 {
		t.Errorf("DevTools evaluation gave %d", got)
	}
}
