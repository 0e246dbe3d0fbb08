package dashboard

import (
	"math"
	"strings"
	"testing"

	"commonground/queries"
)

func TestQuantile(t *testing.T) {
	vs := []float64{1, 2, 3, 4, 5}
	for _, tt := range []struct{ p, want float64 }{{0, 1}, {0.25, 2}, {0.5, 3}, {0.75, 4}, {1, 5}, {0.1, 1.4}} {
		if got := quantile(vs, tt.p); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if !math.IsNaN(quantile(nil, 0.5)) {
		t.Error("quantile of nothing should be NaN")
	}
	if _, ok := rangeOf(nil); ok {
		t.Error("range of nothing")
	}
	r, _ := rangeOf([]float64{5, 1, 3})
	if r.Min != 1 || r.Max != 5 || r.Median != 3 || r.N != 3 {
		t.Errorf("range %+v", r)
	}
}

func TestSpineX(t *testing.T) {
	tests := []struct {
		name           string
		v, e, half     float64
		flipped        bool
		want           float64
		wantLeftOfMid  bool
		wantRightOfMid bool
	}{
		{"england is the middle", 10, 10, 5, false, spineW / 2, false, false},
		{"higher is right", 15, 10, 5, false, spineW - 9, false, true},
		{"higher is worse: left", 15, 10, 5, true, 9, true, false},
		{"beyond the range is clamped", 100, 10, 5, false, spineW - 9, false, true},
		{"no spread", 3, 3, 0, false, spineW / 2, false, false},
	}
	for _, tt := range tests {
		got := spineX(tt.v, tt.e, tt.half, tt.flipped)
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: x = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSpineRows(t *testing.T) {
	rows := []IndicatorRow{
		{ID: "a", Title: "Residents in the 10% most deprived", Unit: "%", Value: "30%", England: "10%", Parent: "12%", ParentName: "Trafford",
			HasValue: true, HasEngland: true, HasParent: true, Num: 30, EnglandNum: 10, ParentNum: 12, RAG: "red", JudgementText: "Worse than England",
			Polarity: queries.HigherIsWorse},
		{ID: "b", Title: "No England", Unit: "%", HasValue: true, Num: 1},
		{ID: "c", Title: "No range", Unit: "%", HasValue: true, HasEngland: true, Num: 1, EnglandNum: 2},
		{ID: "d", Title: "GP practices <per> 10,000", Unit: "per 10,000", Value: "1.2", England: "1.1", HasValue: true, HasEngland: true,
			Num: 1.2, EnglandNum: 1.1, RAG: "amber", Polarity: queries.HigherIsBetter},
	}
	ranges := map[string]Range{"a": {Min: 0, Q1: 5, Median: 8, Q3: 15, Max: 50, N: 300}, "b": {N: 300}, "d": {Min: 0.5, Q1: 1, Q3: 1.3, Max: 2, N: 300}}
	got := spineRows(rows, ranges)
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "d" {
		t.Fatalf("rows %+v", got)
	}
	a := got[0]
	if !a.Flipped || a.Low != "50%" || a.High != "0%" || a.LowLabel != "worst (highest)" {
		t.Errorf("higher-is-worse row: %+v", a)
	}
	svg := string(a.SVG)
	for _, want := range []string{`role="img"`, `aria-label="Residents in the 10% most deprived: 30% here, England 10%, Trafford 12%; local authorities range from 0% to 50%. Worse than England."`,
		`fill="#d4351c"`, `<line x1="150"`, `<path d=`} {
		if !strings.Contains(svg, want) {
			t.Errorf("spine SVG lacks %s:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "style=") {
		t.Error("inline style in SVG")
	}
	// Worse (30 > England 10) is drawn left of the England line.
	if x := spineX(30, 10, 40, true); x >= 150 {
		t.Errorf("worse value drawn at %v, right of England", x)
	}
	if d := string(got[1].SVG); !strings.Contains(d, "&lt;per&gt;") || strings.Contains(d, "<per>") {
		t.Error("title not escaped in the SVG")
	}
	if got[1].HasParent {
		t.Error("parent without a name is drawn")
	}
}

func TestBinValues(t *testing.T) {
	tests := []struct {
		name    string
		vs      []float64
		maxBins int
		counts  []int
	}{
		{"empty", nil, 10, nil},
		{"all equal", []float64{2, 2, 2, 2}, 10, []int{4}},
		{"sqrt rule", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8}, 10, []int{3, 3, 3}},
		{"max bins", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 2, []int{8, 8}},
		{"maximum in the last bin", []float64{0, 10}, 10, []int{1, 1}},
	}
	for _, tt := range tests {
		bins := binValues(tt.vs, tt.maxBins)
		if len(bins) != len(tt.counts) {
			t.Errorf("%s: %d bins, want %d", tt.name, len(bins), len(tt.counts))
			continue
		}
		total := 0
		for i, b := range bins {
			total += b.Count
			if b.Count != tt.counts[i] {
				t.Errorf("%s: bin %d has %d, want %d", tt.name, i, b.Count, tt.counts[i])
			}
		}
		if total != len(tt.vs) {
			t.Errorf("%s: %d counted of %d", tt.name, total, len(tt.vs))
		}
	}
}

func TestDistribution(t *testing.T) {
	ind := queries.Indicator{ID: "x", Title: "Average deprivation score", Unit: queries.UnitScore}
	var vals []queries.Value
	for i := 0; i < 20; i++ {
		v := queries.Value{Estimate: queries.Estimate{Status: queries.StatusOK, Value: float64(i)}}
		if i > 15 {
			v.Significance = queries.SigHigher
		}
		vals = append(vals, v)
	}
	vals = append(vals, queries.Value{Estimate: queries.Estimate{Status: queries.StatusSuppressed}})
	d := distribution(ind, vals, 7.5, true, "Exampleton")
	if d == nil || d.N != 20 || d.Above != 4 || d.Below != 0 {
		t.Fatalf("distribution %+v", d)
	}
	if !strings.Contains(d.Summary, "Across the 20 neighbourhoods of Exampleton, average deprivation score ranges from") ||
		!strings.Contains(d.Summary, "4 are significantly higher than England") {
		t.Errorf("summary %q", d.Summary)
	}
	svg := string(d.SVG)
	if !strings.Contains(svg, "England 7.5") || !strings.Contains(svg, `aria-labelledby="dist-title dist-desc"`) || strings.Count(svg, "<rect") != len(d.Bins) {
		t.Errorf("svg: %s", svg)
	}
	inBin := 0
	for _, b := range d.Bins {
		if b.HasEngland {
			inBin++
		}
	}
	if inBin != 1 {
		t.Errorf("England falls in %d bins", inBin)
	}
	if distribution(ind, vals[:1], 0, false, "x") != nil {
		t.Error("a distribution of one value")
	}
}

func TestQuantileBreaksAndClasses(t *testing.T) {
	vs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	br := quantileBreaks(vs, 5)
	if len(br) != 4 {
		t.Fatalf("breaks %v", br)
	}
	counts := make([]int, 5)
	for _, v := range vs {
		counts[classOf(v, br)]++
	}
	for i, c := range counts {
		if c != 2 {
			t.Errorf("class %d has %d, want 2 (%v)", i, c, br)
		}
	}
	// Few distinct values give fewer classes, never empty ones.
	br = quantileBreaks([]float64{0, 0, 0, 0, 0, 0, 0, 100}, 5)
	if len(br) != 1 || classOf(0, br) != 0 || classOf(100, br) != 1 {
		t.Errorf("breaks for two values: %v", br)
	}
	if len(quantileBreaks([]float64{3, 3, 3}, 5)) != 0 {
		t.Error("breaks for one value")
	}
}

func TestPounds(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{512.4, "£512"}, {45300, "£45,300"}, {1234567, "£1.2 million"}, {2.5e9, "£2.50 billion"}, {-1500, "-£1,500"}} {
		if got := pounds(tt.v); got != tt.want {
			t.Errorf("pounds(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestSymbolsCloseTheirElements(t *testing.T) {
	for _, k := range serviceKinds {
		var b strings.Builder
		symbol(&b, k, 10, 10, 5, `><title>x</title></`+svgTag(k.Shape)+`>`)
		s := b.String()
		if !strings.HasPrefix(s, "<"+svgTag(k.Shape)+" ") || !strings.HasSuffix(s, "</"+svgTag(k.Shape)+">") {
			t.Errorf("%s: %s", k.Category, s)
		}
	}
}
