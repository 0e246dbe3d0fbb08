package queries

import "math"

// Confidence levels used throughout, as in Fingertips.
const (
	z95  = 1.959963984540054 // two-sided 95%: qnorm(0.975)
	z998 = 3.090232306167813 // two-sided 99.8%: qnorm(0.999)
)

// Interval is a confidence interval in the indicator's unit.
type Interval struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
}

// Wilson returns the Wilson score interval for a proportion of x
// successes out of n, as proportions (0–1), for the normal quantile z
// (Wilson 1927; Newcombe 1998, method 3):
//
//	(2x + z² ± z·√(z² + 4x(1 − x/n))) / (2(n + z²))
//
// ok is false when n <= 0 or x is outside [0, n].
func Wilson(x, n, z float64) (lo, hi float64, ok bool) {
	if n <= 0 || x < 0 || x > n || math.IsNaN(x) || math.IsNaN(n) {
		return 0, 0, false
	}
	p := x / n
	z2 := z * z
	centre := 2*x + z2
	half := z * math.Sqrt(z2+4*x*(1-p))
	den := 2 * (n + z2)
	lo, hi = (centre-half)/den, (centre+half)/den
	return math.Max(0, lo), math.Min(1, hi), true
}

// ByarCount returns the confidence limits for an observed count of events
// O, as counts. For O >= 10 it uses Byar's approximation (Breslow & Day
// 1987, as in PHE/OHID Fingertips and PHEindicatormethods):
//
//	lower = O·(1 − 1/(9O) − z/(3√O))³
//	upper = (O+1)·(1 − 1/(9(O+1)) + z/(3√(O+1)))³
//
// and below 10 events the exact Poisson limits (the chi-square form
// qchisq(α/2, 2O)/2 and qchisq(1−α/2, 2O+2)/2), where Byar's method is
// inaccurate, as PHEindicatormethods' phe_rate does. Divide by the
// denominator and multiply by the unit to get a rate's interval.
func ByarCount(o, z float64) (lo, hi float64, ok bool) {
	if o < 0 || math.IsNaN(o) || math.IsInf(o, 0) {
		return 0, 0, false
	}
	if o < 10 {
		alpha := 2 * (1 - normalCDF(z))
		return exactPoissonLower(o, alpha/2), exactPoissonUpper(o, alpha/2), true
	}
	lo = o * math.Pow(1-1/(9*o)-z/(3*math.Sqrt(o)), 3)
	o1 := o + 1
	hi = o1 * math.Pow(1-1/(9*o1)+z/(3*math.Sqrt(o1)), 3)
	return lo, hi, true
}

func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// poissonCDF is P(X <= k) for X ~ Poisson(mu), k a whole number.
func poissonCDF(k int, mu float64) float64 {
	if mu <= 0 {
		return 1
	}
	term := math.Exp(-mu)
	sum := term
	for i := 1; i <= k; i++ {
		term *= mu / float64(i)
		sum += term
	}
	return math.Min(1, sum)
}

// exactPoissonLower solves P(X >= o | mu) = tail for mu (0 when o = 0).
func exactPoissonLower(o, tail float64) float64 {
	k := int(math.Round(o))
	if k == 0 {
		return 0
	}
	// P(X >= k) = 1 - P(X <= k-1), increasing in mu.
	return bisect(func(mu float64) float64 { return 1 - poissonCDF(k-1, mu) - tail }, 0, float64(k)+50)
}

// exactPoissonUpper solves P(X <= o | mu) = tail for mu.
func exactPoissonUpper(o, tail float64) float64 {
	k := int(math.Round(o))
	// P(X <= k) decreases in mu.
	return bisect(func(mu float64) float64 { return tail - poissonCDF(k, mu) }, 0, float64(k)+50)
}

// bisect finds a root of an increasing f in [a, b].
func bisect(f func(float64) float64, a, b float64) float64 {
	for i := 0; i < 200 && b-a > 1e-12; i++ {
		m := (a + b) / 2
		if f(m) < 0 {
			a = m
		} else {
			b = m
		}
	}
	return (a + b) / 2
}

// Significance is the Fingertips comparison of an area with a comparator:
// whether the comparator's value lies outside the area's confidence interval.
type Significance string

// The significance calls.
const (
	SigHigher      Significance = "higher"       // comparator below the area's interval
	SigLower       Significance = "lower"        // comparator above the area's interval
	SigSimilar     Significance = "similar"      // comparator inside the interval
	SigNotCompared Significance = "not compared" // no interval (or no comparator value)
)

// Compare makes the significance call for an area with interval ci against
// a comparator value.
func Compare(ci *Interval, comparator float64) Significance {
	if ci == nil || math.IsNaN(comparator) {
		return SigNotCompared
	}
	switch {
	case comparator < ci.Lower:
		return SigHigher
	case comparator > ci.Upper:
		return SigLower
	}
	return SigSimilar
}

// Judgement is a significance call read through the indicator's polarity.
type Judgement string

// The judgements. Neutral indicators are judged higher, lower or similar.
const (
	JudgeBetter      Judgement = "better"
	JudgeWorse       Judgement = "worse"
	JudgeSimilar     Judgement = "similar"
	JudgeHigher      Judgement = "higher"
	JudgeLower       Judgement = "lower"
	JudgeNotCompared Judgement = "not compared"
)

// Judge reads a significance call through a polarity.
func Judge(s Significance, p Polarity) Judgement {
	switch s {
	case SigSimilar:
		return JudgeSimilar
	case SigHigher:
		switch p {
		case HigherIsBetter:
			return JudgeBetter
		case HigherIsWorse:
			return JudgeWorse
		}
		return JudgeHigher
	case SigLower:
		switch p {
		case HigherIsBetter:
			return JudgeWorse
		case HigherIsWorse:
			return JudgeBetter
		}
		return JudgeLower
	}
	return JudgeNotCompared
}

// RAG is the colour a comparison is shown in.
type RAG string

// The colours: green, amber and red for better, similar and worse; blue
// for a significant difference on a neutral indicator; grey for neutral
// similar and for anything not compared.
const (
	Green RAG = "green"
	Amber RAG = "amber"
	Red   RAG = "red"
	Blue  RAG = "blue"
	Grey  RAG = "grey"
)

// Colour returns the RAG colour of a judgement on an indicator of polarity p.
func Colour(j Judgement, p Polarity) RAG {
	switch j {
	case JudgeBetter:
		return Green
	case JudgeWorse:
		return Red
	case JudgeSimilar:
		if p == Neutral {
			return Grey
		}
		return Amber
	case JudgeHigher, JudgeLower:
		return Blue
	}
	return Grey
}

// intervals computes the 95% and 99.8% intervals of a ratio estimate in
// the indicator's unit, or nil when the method gives none.
func intervals(m CIMethod, num, den, mult float64) (ci95, ci998 *Interval) {
	if den <= 0 {
		return nil, nil
	}
	switch m {
	case CIWilson:
		l1, h1, ok1 := Wilson(num, den, z95)
		l2, h2, ok2 := Wilson(num, den, z998)
		if ok1 && ok2 {
			return &Interval{l1 * mult, h1 * mult}, &Interval{l2 * mult, h2 * mult}
		}
	case CIByar:
		l1, h1, ok1 := ByarCount(num, z95)
		l2, h2, ok2 := ByarCount(num, z998)
		if ok1 && ok2 {
			return &Interval{l1 / den * mult, h1 / den * mult}, &Interval{l2 / den * mult, h2 / den * mult}
		}
	}
	return nil, nil
}
