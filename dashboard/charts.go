package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"

	"commonground/queries"
)

// Charts are small SVGs drawn on the server: they print, work without
// JavaScript and pass the CSP (colours are SVG presentation attributes, not
// style attributes). Each chart sits beside a table or summary carrying the
// same figures, its text alternative.

// ragFill is the marker colour of a comparison, as the fact cards use.
var ragFill = map[string]string{
	"green": "#00703c", "red": "#d4351c", "amber": "#ffdd00", "blue": "#1d70b8", "grey": "#b1b4b6",
}

// Range is the spread of an indicator across England's local authorities.
type Range struct {
	Min, Q1, Median, Q3, Max float64
	N                        int
}

// rangeOf summarises values (which it sorts); ok is false for none.
func rangeOf(vs []float64) (Range, bool) {
	if len(vs) == 0 {
		return Range{}, false
	}
	sort.Float64s(vs)
	return Range{Min: vs[0], Q1: quantile(vs, 0.25), Median: quantile(vs, 0.5), Q3: quantile(vs, 0.75), Max: vs[len(vs)-1], N: len(vs)}, true
}

// quantile of sorted values by linear interpolation (R type 7, Excel's
// PERCENTILE.INC).
func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// SpineRow is one indicator of a spine chart (as OHID Fingertips draws
// them): England's range across local authorities, England's value in the
// middle, the local authority and the area itself.
type SpineRow struct {
	ID, Title, Unit              string
	Value, Parent, England       string
	ParentName                   string
	Judgement, RAG               string
	Low, High                    string // the range ends, formatted, worst (or lowest) first
	V, P, E                      float64
	HasParent                    bool
	Range                        Range
	Polarity                     queries.Polarity
	Flipped                      bool // higher is worse: the high end is drawn on the left
	SVG                          template.HTML
	Summary                      string // the chart in words
	LowLabel, HighLabel, RangeOf string
}

const spineW, spineH = 300.0, 28.0

// spineX places v on a row centred on England, scaled so the whole range
// and both markers fit; worse is left when the polarity is known.
func spineX(v, e, half float64, flipped bool) float64 {
	if half <= 0 || math.IsNaN(half) {
		return spineW / 2
	}
	d := (v - e) / half
	if flipped {
		d = -d
	}
	d = math.Max(-1, math.Min(1, d))
	const pad = 9.0 // room for the marker at either end
	return spineW/2 + d*(spineW/2-pad)
}

// spineSVG draws one row. The row's text alternative is its table row; the
// SVG's own title says the same in a sentence.
func spineSVG(r *SpineRow) template.HTML {
	e, rg := r.E, r.Range
	half := math.Max(math.Abs(e-rg.Min), math.Abs(rg.Max-e))
	half = math.Max(half, math.Abs(r.V-e))
	if r.HasParent {
		half = math.Max(half, math.Abs(r.P-e))
	}
	x := func(v float64) float64 { return spineX(v, e, half, r.Flipped) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" class="spine" role="img" aria-label="%s" focusable="false">`,
		spineW, spineH, template.HTMLEscapeString(r.Summary))
	lo, hi := math.Min(x(rg.Min), x(rg.Max)), math.Max(x(rg.Min), x(rg.Max))
	fmt.Fprintf(&b, `<rect x="%.1f" y="7" width="%.1f" height="14" fill="#dee0e2"/>`, lo, math.Max(hi-lo, 1))
	q1, q3 := math.Min(x(rg.Q1), x(rg.Q3)), math.Max(x(rg.Q1), x(rg.Q3))
	fmt.Fprintf(&b, `<rect x="%.1f" y="7" width="%.1f" height="14" fill="#8e9aa3"/>`, q1, math.Max(q3-q1, 1))
	fmt.Fprintf(&b, `<line x1="150" y1="2" x2="150" y2="26" stroke="#0b0c0c" stroke-width="2"/>`)
	if r.HasParent {
		px := x(r.P)
		fmt.Fprintf(&b, `<path d="M%.1f 7L%.1f 14L%.1f 21L%.1f 14Z" fill="#ffffff" stroke="#0b0c0c" stroke-width="1.5"/>`, px, px+7, px, px-7)
	}
	fill := ragFill[r.RAG]
	if fill == "" {
		fill = ragFill["grey"]
	}
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="14" r="7" fill="%s" stroke="#0b0c0c" stroke-width="1.5"/>`, x(r.V), fill)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// spineRows turns a profile's headline rows into a spine chart, given each
// indicator's range across local authorities. Rows without an England
// value or a range are left out: there is nothing to centre them on.
func spineRows(rows []IndicatorRow, ranges map[string]Range) []SpineRow {
	var out []SpineRow
	for _, ir := range rows {
		rg, ok := ranges[ir.ID]
		if !ok || !ir.HasValue || !ir.HasEngland || rg.N < 2 {
			continue
		}
		u := queries.Unit(ir.Unit)
		r := SpineRow{ID: ir.ID, Title: ir.Title, Unit: ir.Unit, Value: ir.Value, Parent: ir.Parent, England: ir.England,
			ParentName: ir.ParentName, Judgement: ir.JudgementText, RAG: ir.RAG, V: ir.Num, P: ir.ParentNum, E: ir.EnglandNum,
			HasParent: ir.HasParent && ir.ParentName != "", Range: rg, Polarity: ir.Polarity, Flipped: ir.Polarity == queries.HigherIsWorse}
		r.Low, r.High = queries.FormatValue(u, rg.Min), queries.FormatValue(u, rg.Max)
		r.LowLabel, r.HighLabel = "lowest", "highest"
		switch ir.Polarity {
		case queries.HigherIsWorse:
			r.Low, r.High = r.High, r.Low
			r.LowLabel, r.HighLabel = "worst (highest)", "best (lowest)"
		case queries.HigherIsBetter:
			r.LowLabel, r.HighLabel = "worst (lowest)", "best (highest)"
		}
		r.RangeOf = fmt.Sprintf("%d local authorities", rg.N)
		s := fmt.Sprintf("%s: %s here, England %s", r.Title, r.Value, r.England)
		if r.HasParent {
			s += fmt.Sprintf(", %s %s", r.ParentName, r.Parent)
		}
		s += fmt.Sprintf("; local authorities range from %s to %s.", queries.FormatValue(u, rg.Min), queries.FormatValue(u, rg.Max))
		if r.Judgement != "" {
			s += " " + r.Judgement + "."
		}
		r.Summary = s
		r.SVG = spineSVG(&r)
		out = append(out, r)
	}
	return out
}

// Bin is one bar of a distribution chart.
type Bin struct {
	From, To   float64
	Label      string
	Count      int
	HasEngland bool // England's value falls in this bin
}

// Distribution is how an indicator is spread across an area's
// neighbourhoods.
type Distribution struct {
	Bins                   []Bin
	N                      int
	Min, Median, Max       string
	Above, Below           int // neighbourhoods significantly above / below England
	England                string
	SVG                    template.HTML
	Summary, Caption       string
	IndicatorTitle, UnitOf string
}

// binValues splits values into at most maxBins equal-width bins between
// their minimum and maximum (one bin when all are equal).
func binValues(vs []float64, maxBins int) []Bin {
	if len(vs) == 0 {
		return nil
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	n := int(math.Ceil(math.Sqrt(float64(len(vs)))))
	n = max(1, min(n, maxBins))
	if hi == lo {
		n = 1
	}
	w := (hi - lo) / float64(n)
	bins := make([]Bin, n)
	for i := range bins {
		bins[i].From, bins[i].To = lo+float64(i)*w, lo+float64(i+1)*w
	}
	bins[n-1].To = hi
	for _, v := range vs {
		i := n - 1
		if w > 0 {
			i = min(n-1, int((v-lo)/w))
		}
		bins[i].Count++
	}
	return bins
}

// distributionSVG draws bins as columns with England's value marked.
func distributionSVG(d *Distribution, eng float64, hasEng bool, title string) template.HTML {
	const w, h, left, bottom, top = 640.0, 250.0, 40.0, 50.0, 44.0
	maxC := 1
	for _, b := range d.Bins {
		maxC = max(maxC, b.Count)
	}
	n := float64(len(d.Bins))
	bw := (w - left - 10) / n
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" class="dist-chart" role="img" aria-labelledby="dist-title dist-desc">`, w, h)
	fmt.Fprintf(&b, `<title id="dist-title">%s</title><desc id="dist-desc">%s</desc>`, template.HTMLEscapeString(title), template.HTMLEscapeString(d.Summary))
	base := h - bottom
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#0b0c0c"/>`, left, base, w-10, base)
	for i, bin := range d.Bins {
		bh := float64(bin.Count) / float64(maxC) * (base - top)
		x := left + float64(i)*bw
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1d70b8"/>`, x+2, base-bh, math.Max(bw-4, 1), bh)
		if bin.Count > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13" fill="#0b0c0c">%d</text>`, x+bw/2, base-bh-4, bin.Count)
		}
	}
	// Axis labels at the ends and the middle, so they never collide.
	labels := []int{0, len(d.Bins) / 2, len(d.Bins) - 1}
	seen := map[int]bool{}
	for _, i := range labels {
		if seen[i] {
			continue
		}
		seen[i] = true
		x := left + float64(i)*bw + bw/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="13" fill="#0b0c0c">%s</text>`, x, base+18, template.HTMLEscapeString(d.Bins[i].Label))
	}
	if hasEng && len(d.Bins) > 0 {
		lo, hi := d.Bins[0].From, d.Bins[len(d.Bins)-1].To
		if eng >= lo && eng <= hi && hi > lo {
			x := left + (eng-lo)/(hi-lo)*(w-left-10)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#d4351c" stroke-width="3" stroke-dasharray="6 3"/>`, x, top-8, x, base)
			anchor := "middle"
			if x < left+60 {
				anchor = "start"
			} else if x > w-70 {
				anchor = "end"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="%s" font-size="13" font-weight="700" fill="#0b0c0c">England %s</text>`, x, h-10, anchor, template.HTMLEscapeString(d.England))
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="14" font-size="13" fill="#505a5f">Number of neighbourhoods</text>`, left)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// distribution summarises LSOA values (ok ones only) of one indicator.
func distribution(ind queries.Indicator, vals []queries.Value, eng float64, hasEng bool, areaName string) *Distribution {
	var vs []float64
	d := &Distribution{IndicatorTitle: ind.Title}
	for _, v := range vals {
		if v.Status != queries.StatusOK {
			continue
		}
		vs = append(vs, v.Value)
		switch v.Significance {
		case queries.SigHigher:
			d.Above++
		case queries.SigLower:
			d.Below++
		}
	}
	if len(vs) < 2 {
		return nil
	}
	d.N = len(vs)
	sort.Float64s(vs)
	u := ind.Unit
	d.Min, d.Median, d.Max = queries.FormatValue(u, vs[0]), queries.FormatValue(u, quantile(vs, 0.5)), queries.FormatValue(u, vs[len(vs)-1])
	d.Bins = binValues(vs, 12)
	for i := range d.Bins {
		bn := &d.Bins[i]
		bn.Label = queries.FormatValue(u, bn.From) + "–" + queries.FormatValue(u, bn.To)
		bn.HasEngland = hasEng && eng >= bn.From && (eng < bn.To || (i == len(d.Bins)-1 && eng <= bn.To))
	}
	if hasEng {
		d.England = queries.FormatValue(u, eng)
	}
	s := fmt.Sprintf("Across the %d neighbourhoods of %s, %s ranges from %s to %s (median %s).", d.N, areaName, lowerFirst(ind.Title), d.Min, d.Max, d.Median)
	if hasEng {
		s += fmt.Sprintf(" England: %s.", d.England)
		if d.Above+d.Below > 0 {
			s += fmt.Sprintf(" %d are significantly higher than England and %d significantly lower.", d.Above, d.Below)
		}
	}
	d.Summary = s
	d.Caption = "Number of neighbourhoods in each band of " + lowerFirst(ind.Title) + "."
	if hasEng {
		d.Caption += " The dashed line is England (" + d.England + ")."
	}
	d.SVG = distributionSVG(d, eng, hasEng, "Distribution of "+lowerFirst(ind.Title)+" across the neighbourhoods of "+areaName)
	return d
}

// lowerFirst lower-cases a title's first letter unless it starts an
// acronym ("IMD score" stays).
func lowerFirst(s string) string {
	if len(s) < 2 || s[1] < 'a' || s[1] > 'z' {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
