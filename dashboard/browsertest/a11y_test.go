package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pages are every page of the dashboard, on Trafford's data. Each must pass
// axe-core with no serious or critical violation, have one h1, and give
// every chart and map a text alternative.
var pages = []struct {
	name, path string
	status     int  // 0 means 200
	mapPage    bool // wait for MapLibre to draw
}{
	{"home", "/", 0, false},
	{"search", "/search?q=Stretford", 0, false},
	{"profile-lad", "/areas/" + trafford, 0, false},
	{"profile-lsoa", "/areas/E01006074", 0, false},
	{"briefing", "/areas/" + trafford + "/briefing", 0, false},
	{"map", "/map?area=" + trafford, 0, true},
	{"map-table", "/map?view=table&area=" + trafford, 0, false},
	{"gaps", "/gaps?service=gp&within=" + trafford, 0, false},
	{"money", "/money?within=" + trafford, 0, false},
	{"recipes", "/recipes", 0, false},
	{"sources", "/sources", 0, false},
	{"add-area", "/areas/new", 0, false},
	{"not-found", "/areas/E09999999", 404, false},
}

func TestAccessibility(t *testing.T) {
	server(t)
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			ctx := tab(t)
			errs := watchErrors(ctx)
			openStatus(t, ctx, p.path, p.status)
			if p.mapPage {
				waitMap(t, ctx)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll("h1").length`); n != 1 {
				t.Errorf("%s has %d h1 headings, want 1", p.path, n)
			}
			checkAxe(t, ctx, p.path)
			checkTextAlternatives(t, ctx, p.path)
			shot(t, ctx, p.name)
			for _, e := range errs.list() {
				if p.status != 0 && strings.Contains(e, "status of 404") {
					continue // the page itself
				}
				t.Errorf("%s: page error: %s", p.path, e)
			}
		})
	}
}

// checkTextAlternatives: every image has alt text, every drawn chart (an
// SVG not hidden from assistive technology) is an image with a name, and
// the interactive map has a label and a table of the same figures.
func checkTextAlternatives(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	bad := eval[[]string](t, ctx, `(() => {
		const out = [];
		for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) out.push("img without alt: " + img.outerHTML.slice(0, 120));
		for (const svg of document.querySelectorAll("main svg")) {
			if (svg.closest('[aria-hidden="true"]')) continue;
			const named = svg.getAttribute("aria-label") || svg.getAttribute("aria-labelledby") || svg.querySelector(":scope > title");
			if (svg.getAttribute("role") !== "img" || !named) out.push("svg chart without role=img and a name: " + svg.outerHTML.slice(0, 120));
		}
		const map = document.querySelector(".maplibregl-canvas");
		if (map && !(map.getAttribute("aria-label") || map.closest("[aria-label]"))) out.push("map canvas without a label");
		if (map && !document.querySelector('a[href*="view=table"]')) out.push("map without a link to its figures as a table");
		return out; })()`)
	for _, b := range bad {
		t.Errorf("%s: %s", path, b)
	}
}

// openStatus is open for a page expected to answer with status (0 = 200).
func openStatus(t *testing.T, ctx context.Context, path string, status int) {
	t.Helper()
	if status == 0 {
		open(t, ctx, path)
		return
	}
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(server(t).URL+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if int(res.Status) != status {
		t.Fatalf("open %s: HTTP %d, want %d", path, res.Status, status)
	}
}

// focusStyle is what a focus indicator can change.
// The element and three ancestors are compared, since a focus ring may be
// drawn around a container (the map's frame, with :has(:focus-visible)).
const focusStyle = `(el => { const out = [];
	for (let e = el, i = 0; e && e.nodeType === 1 && i < 4; e = e.parentElement, i++) { const s = getComputedStyle(e);
		out.push([s.outlineStyle + " " + s.outlineWidth + " " + s.outlineColor, s.boxShadow, s.backgroundColor, s.color, s.textDecorationLine, s.borderColor].join("|")); }
	return out.join("/"); })`

// TestKeyboard: the first Tab reaches the skip link, which moves focus to
// the main content; every control reached by Tab on the profile and the
// map shows a visible focus state; the map can be reached and used with the
// keyboard.
func TestKeyboard(t *testing.T) {
	server(t)
	ctx := tab(t)
	open(t, ctx, "/areas/"+trafford)
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.activeElement.className + " " + document.activeElement.getAttribute("href")`); !strings.Contains(got, "skip-link") {
		t.Fatalf("the first Tab focuses %q, want the skip link", got)
	}
	if !eval[bool](t, ctx, `(() => { const r = document.activeElement.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.top >= 0; })()`) {
		t.Error("the focused skip link is not visible")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the skip link to reach #main", `location.hash === "#main"`, 2*time.Second)

	for _, path := range []string{"/areas/" + trafford, "/gaps?service=gp&within=" + trafford, "/map?area=" + trafford} {
		open(t, ctx, path)
		if strings.HasPrefix(path, "/map") {
			waitMap(t, ctx)
		}
		// Tab through the first 40 stops; each must look different when
		// focused than when not.
		var invisible []string
		seen := map[string]bool{}
		for i := 0; i < 40; i++ {
			if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
				t.Fatal(err)
			}
			r := eval[[]string](t, ctx, `(() => { const el = document.activeElement; if (!el || el === document.body) return ["", "", ""];
				const id = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.getAttribute("href") || el.getAttribute("aria-label") || el.textContent.trim().slice(0, 40));
				const focused = `+focusStyle+`(el);
				el.blur(); const blurred = `+focusStyle+`(el); el.focus({focusVisible: true});
				return [id, focused, blurred]; })()`)
			if r[0] == "" || seen[r[0]] {
				continue
			}
			seen[r[0]] = true
			if r[1] == r[2] {
				invisible = append(invisible, r[0])
			}
		}
		if len(seen) < 5 {
			t.Errorf("%s: Tab reached only %d controls", path, len(seen))
		}
		for _, s := range invisible {
			t.Errorf("%s: no visible focus state on %s", path, s)
		}
	}

	// The map takes the keyboard: focus it and press + to zoom in.
	open(t, ctx, "/map?area="+trafford)
	waitMap(t, ctx)
	z0 := eval[float64](t, ctx, `window.Commonground.map.instance.getZoom()`)
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(".maplibregl-canvas")), chromedp.KeyEvent("+")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the map to zoom in with +", `window.Commonground.map.instance.getZoom() > `+strconv.FormatFloat(z0+0.5, 'f', 3, 64), 5*time.Second)
}
