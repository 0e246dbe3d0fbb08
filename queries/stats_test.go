package queries

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.6f, want %.6f (±%g)", what, got, want, tol)
	}
}

// Hand-worked Wilson intervals. 30/100 at 95% is the worked example of
// Newcombe (1998) and the issue: [0.2189, 0.3958]. The 99.8% limits were
// worked by hand from the formula with z = 3.0902: centre
// (60 + 9.5495) / 219.0991 = 0.31743, half-width 3.0902 × √93.5495 /
// 219.0991 = 0.13642.
func TestWilsonWorkedExamples(t *testing.T) {
	for _, c := range []struct {
		x, n, z, lo, hi float64
	}{
		{30, 100, z95, 0.2189, 0.3958},
		{30, 100, z998, 0.1810, 0.4539},
		{0, 100, z95, 0, 0.0370},   // 3.8415 / 103.8415
		{100, 100, z95, 0.9630, 1}, // the mirror image
	} {
		lo, hi, ok := Wilson(c.x, c.n, c.z)
		if !ok {
			t.Fatalf("Wilson(%v, %v) not ok", c.x, c.n)
		}
		near(t, "lower", lo, c.lo, 5e-5)
		near(t, "upper", hi, c.hi, 5e-5)
	}
	if _, _, ok := Wilson(5, 0, z95); ok {
		t.Error("n = 0 has no interval")
	}
	if _, _, ok := Wilson(6, 5, z95); ok {
		t.Error("x > n has no interval")
	}
}

// The Wilson interval is the set of p the score test does not reject:
// |x/n − p| <= z √(p(1−p)/n). Solving that by bisection is a second,
// independent computation of the limits.
func TestWilsonAgainstScoreTest(t *testing.T) {
	inside := func(x, n, z, p float64) bool { return math.Abs(x/n-p) <= z*math.Sqrt(p*(1-p)/n) }
	solve := func(x, n, z, a, b float64, lowerEnd bool) float64 {
		for i := 0; i < 200; i++ {
			m := (a + b) / 2
			if inside(x, n, z, m) == lowerEnd {
				b = m
			} else {
				a = m
			}
		}
		return (a + b) / 2
	}
	for _, c := range [][2]float64{{1, 7}, {30, 100}, {65, 100}, {1045, 5000}, {41292, 235045}} {
		for _, z := range []float64{z95, z998} {
			x, n := c[0], c[1]
			lo, hi, _ := Wilson(x, n, z)
			near(t, "lower", lo, solve(x, n, z, 0, x/n, true), 1e-9)
			near(t, "upper", hi, solve(x, n, z, x/n, 1, false), 1e-9)
		}
	}
}

// Byar's method: the example, 50 events in 10,000 person-years,
// is a rate of 5.0 per 1,000 with 95% CI 3.71 to 6.59 (Breslow & Day
// 1987). By hand: 50 × (1 − 1/450 − 1.96/(3√50))³ = 37.108 and
// 51 × (1 − 1/459 + 1.96/(3√51))³ = 65.920.
func TestByarWorkedExample(t *testing.T) {
	ci95, ci998 := intervals(CIByar, 50, 10000, UnitPer1000.multiplier())
	near(t, "lower", ci95.Lower, 3.71, 0.005)
	near(t, "upper", ci95.Upper, 6.59, 0.005)
	if ci998.Lower >= ci95.Lower || ci998.Upper <= ci95.Upper {
		t.Errorf("99.8%% interval %v should contain the 95%% one %v", ci998, ci95)
	}
	// The exact Poisson limits for 50 (chi-square tables: 74.222/2 and
	// 131.838/2) are what Byar approximates.
	lo, hi, _ := ByarCount(50, z95)
	near(t, "Byar lower vs exact", lo, 37.111, 0.01)
	near(t, "Byar upper vs exact", hi, 65.919, 0.01)
	// And our own exact solver agrees with the tables.
	near(t, "exact lower", exactPoissonLower(50, 0.025), 37.111, 0.002)
	near(t, "exact upper", exactPoissonUpper(50, 0.025), 65.919, 0.002)
}

// Below 10 events the exact Poisson limits are used (PHEindicatormethods
// phe_rate). For 5 events, chi-square tables give qchisq(0.025, 10) =
// 3.247 and qchisq(0.975, 12) = 23.337: limits 1.6235 and 11.668. For 0
// events, 0 and qchisq(0.975, 2)/2 = 3.689.
func TestByarSmallCountsAreExact(t *testing.T) {
	lo, hi, _ := ByarCount(5, z95)
	near(t, "lower", lo, 1.6235, 0.001)
	near(t, "upper", hi, 11.668, 0.001)
	lo, hi, _ = ByarCount(0, z95)
	near(t, "lower", lo, 0, 0)
	near(t, "upper", hi, 3.689, 0.001)
}

func TestSignificanceJudgementAndRAG(t *testing.T) {
	// The area: 30 of 100, 95% interval 21.9% to 39.6%.
	ci95, _ := intervals(CIWilson, 30, 100, 100)
	for _, c := range []struct {
		comparator float64
		sig        Significance
		worse      Judgement // polarity: higher is worse
		better     Judgement // polarity: higher is better
		neutral    Judgement
		ragWorse   RAG
		ragBetter  RAG
		ragNeutral RAG
	}{
		{20, SigHigher, JudgeWorse, JudgeBetter, JudgeHigher, Red, Green, Blue},
		{25, SigSimilar, JudgeSimilar, JudgeSimilar, JudgeSimilar, Amber, Amber, Grey},
		{39.5, SigSimilar, JudgeSimilar, JudgeSimilar, JudgeSimilar, Amber, Amber, Grey},
		{45, SigLower, JudgeBetter, JudgeWorse, JudgeLower, Green, Red, Blue},
	} {
		sig := Compare(ci95, c.comparator)
		if sig != c.sig {
			t.Errorf("comparator %v: %s, want %s", c.comparator, sig, c.sig)
		}
		for _, p := range []struct {
			pol Polarity
			j   Judgement
			rag RAG
		}{{HigherIsWorse, c.worse, c.ragWorse}, {HigherIsBetter, c.better, c.ragBetter}, {Neutral, c.neutral, c.ragNeutral}} {
			j := Judge(sig, p.pol)
			if j != p.j || Colour(j, p.pol) != p.rag {
				t.Errorf("comparator %v, %s: %s/%s, want %s/%s", c.comparator, p.pol, j, Colour(j, p.pol), p.j, p.rag)
			}
		}
	}
	// No interval: not compared, grey, whatever the polarity.
	for _, p := range []Polarity{HigherIsBetter, HigherIsWorse, Neutral} {
		if s := Compare(nil, 10); s != SigNotCompared || Judge(s, p) != JudgeNotCompared || Colour(Judge(s, p), p) != Grey {
			t.Errorf("no interval, %s: %s", p, s)
		}
	}
	// 99.8% is wider: 20 is outside the 95% interval but inside 99.8%.
	_, ci998 := intervals(CIWilson, 30, 100, 100)
	if Compare(ci998, 20) != SigSimilar {
		t.Errorf("99.8%% interval %v should include 20", ci998)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		u    Unit
		v    float64
		want string
	}{
		{UnitPercent, 23.4, "23%"}, {UnitPercent, 9.94, "9.9%"}, {UnitPercent, 9.96, "10%"}, {UnitPercent, 0, "0%"},
		{UnitPer10000, 4.25, "4.2"}, {UnitPer1000, 1234.5, "1,235"},
		{UnitPoundsPerHead, 1234.4, "£1,234"}, {UnitPoundsPerHead, 3.5, "£3.50"},
		{UnitKm, 1.26, "1.3 km"}, {UnitKm, 12.6, "13 km"},
		{UnitScore, 21.34, "21.3"}, {UnitScore, -1.771, "-1.77"}, {UnitScore, 0.0131, "0.013"},
		{UnitCount, 235045, "235,045"}, {UnitRank, 1, "1"},
	} {
		if got := FormatValue(c.u, c.v); got != c.want {
			t.Errorf("FormatValue(%q, %v) = %q, want %q", c.u, c.v, got, c.want)
		}
	}
	if ordinal(1) != "1st" || ordinal(12) != "12th" || ordinal(22) != "22nd" || ordinal(103) != "103rd" {
		t.Error("ordinals")
	}
}
