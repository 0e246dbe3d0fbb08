package queries

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentence templates use these placeholders:
//
//	{area}        the area's name
//	{value}       the value in the indicator's unit ("23%", "4.2", "£310", "1.3 km"),
//	              "about …" when the numerator is small
//	{numerator}   the numerator (or, for a mean, the total weight), with thousands separators
//	{denominator} the denominator, likewise
//	{compare}     a clause comparing the area with its local authority (or, for a local
//	              authority, England): ", more than twice the Trafford average (9%)",
//	              ", similar to the England average (18%)"; empty when nothing is compared
//	{change}      for a change: "grew by 3.1%", "fell by 0.2%" or "did not change"
var placeholders = map[string]bool{"area": true, "value": true, "numerator": true, "denominator": true, "compare": true, "change": true}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

func checkTemplate(t string) error {
	hasValue := false
	for _, m := range placeholder.FindAllStringSubmatch(t, -1) {
		if !placeholders[m[1]] {
			return fmt.Errorf("unknown placeholder {%s} (want {area}, {value}, {numerator}, {denominator}, {compare} or {change})", m[1])
		}
		hasValue = hasValue || m[1] == "value" || m[1] == "change"
	}
	if !hasValue {
		return fmt.Errorf("the template must show {value} (or {change})")
	}
	if strings.Count(t, "{") != strings.Count(t, "}") {
		return fmt.Errorf("unbalanced braces")
	}
	return nil
}

// thousands formats a whole number with thousands separators.
func thousands(f float64) string {
	n := int64(math.Round(f))
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatValue formats a value in its unit as sentences show it. Rates are
// bare numbers (the sentence says "per 10,000 residents").
func FormatValue(u Unit, v float64) string {
	return formatValue(u, v, 0)
}

// formatValue with extra decimal places.
func formatValue(u Unit, v float64, extra int) string {
	dp := func(d int) string { return strconv.FormatFloat(v, 'f', d+extra, 64) }
	switch u {
	case UnitPercent:
		if v == 0 {
			return "0%"
		}
		if math.Abs(v) < 9.95 {
			return dp(1) + "%"
		}
		return dp(0) + "%"
	case UnitPer1000, UnitPer10000:
		if math.Abs(v) >= 100 && extra == 0 {
			return thousands(v)
		}
		return dp(1)
	case UnitPoundsPerHead:
		if math.Abs(v) >= 10 && extra == 0 {
			return "£" + thousands(v)
		}
		return "£" + dp(2)
	case UnitKm:
		if math.Abs(v) >= 10 {
			return dp(0) + " km"
		}
		return dp(1) + " km"
	case UnitScore:
		switch a := math.Abs(v); {
		case a >= 100:
			return dp(0)
		case a >= 10:
			return dp(1)
		case a >= 1:
			return dp(2)
		}
		return dp(3)
	}
	if extra > 0 {
		return dp(0)
	}
	return thousands(v)
}

// formatShort is a comparator's value with its unit, for brackets.
func formatShort(u Unit, v float64, extra int) string {
	s := formatValue(u, v, extra)
	if u == UnitPer1000 || u == UnitPer10000 {
		s += " " + string(u)
	}
	return s
}

// ratioScale units have a true zero, so "twice" means something.
func ratioScale(u Unit) bool {
	switch u {
	case UnitPercent, UnitPer1000, UnitPer10000, UnitPoundsPerHead, UnitKm:
		return true
	}
	return false
}

// comparator is the comparison a sentence words: the parent local
// authority's, or England's when there is no usable parent.
func comparator(ind *Indicator, r *Result) *Comparison {
	usable := func(c *Comparison) bool { return c != nil && c.Status == StatusOK && c.Note == "" }
	cmp := r.Parent
	if !usable(cmp) {
		cmp = r.England
	}
	if !usable(cmp) || r.Status != StatusOK || ind.Rule == RuleSum {
		return nil
	}
	return cmp
}

// precision is the extra decimal places needed to show that a
// significant difference is a difference ("17.6%" against "18.4%", not
// "18%" against "18%").
func precision(ind *Indicator, r *Result, cmp *Comparison) int {
	if cmp == nil || cmp.Significance == SigSimilar || cmp.Significance == SigNotCompared {
		return 0
	}
	for extra := 0; extra < 3; extra++ {
		if formatValue(ind.Unit, r.Value, extra) != formatValue(ind.Unit, cmp.Value, extra) {
			return extra
		}
	}
	return 3
}

// compareClause words the comparison with the parent (or England).
func compareClause(ind *Indicator, r *Result, cmp *Comparison, extra int) string {
	if cmp == nil {
		return ""
	}
	label := "the " + nameOf(cmp.Area) + " average"
	val := formatShort(ind.Unit, cmp.Value, extra)
	ratio := 0.0
	if ratioScale(ind.Unit) && cmp.Value > 0 && r.Value > 0 {
		ratio = r.Value / cmp.Value
	}
	multiple := func() string {
		switch {
		case ratio > 3:
			return "more than three times"
		case ratio > 2:
			return "more than twice"
		case ratio > 0 && ratio < 1.0/3:
			return "less than a third of"
		case ratio > 0 && ratio < 0.5:
			return "less than half"
		}
		return ""
	}
	same := formatShort(ind.Unit, r.Value, extra) == val
	switch cmp.Significance {
	case SigSimilar:
		return fmt.Sprintf(", similar to %s (%s)", label, val)
	case SigHigher:
		if m := multiple(); m != "" {
			return fmt.Sprintf(", %s %s (%s)", m, label, val)
		}
		return fmt.Sprintf(", higher than %s (%s)", label, val)
	case SigLower:
		if m := multiple(); m != "" {
			return fmt.Sprintf(", %s %s (%s)", m, label, val)
		}
		return fmt.Sprintf(", lower than %s (%s)", label, val)
	}
	// No confidence interval: say how big the difference is, never
	// whether it is "significant".
	if m := multiple(); m != "" {
		return fmt.Sprintf(", %s %s (%s)", m, label, val)
	}
	if same {
		return fmt.Sprintf(", the same as %s (%s)", label, val)
	}
	return fmt.Sprintf(", compared with %s across %s", val, nameOf(cmp.Area))
}

// sentence writes the result's plain-English sentence. anyData says
// whether the indicator has data anywhere.
func sentence(ind *Indicator, r *Result, anyData bool) string {
	area := nameOf(r.Area)
	switch r.Status {
	case StatusNoData:
		var missing []string
		for _, s := range ind.Sources {
			loaded := false
			for _, p := range r.Provenance {
				if (p.Dataset == s.Dataset || s.Dataset == "*") && p.Table == s.Table && !p.LoadedAt.IsZero() {
					loaded = true
				}
			}
			switch {
			case loaded:
			case s.Dataset == "*":
				missing = append(missing, "nothing is loaded into the "+s.Table+" table")
			default:
				missing = append(missing, s.Dataset+" is not loaded")
			}
		}
		switch {
		case len(missing) > 0:
			return fmt.Sprintf("No data for %s: %s.", area, joinAnd(missing))
		case r.Members == 0 && ind.Geography != GeoLAD:
			return fmt.Sprintf("No data for %s: this indicator is computed on %d LSOAs, and none is matched to %s in the loaded boundaries and lookups.", area, ind.Geography.vintage(), area)
		case !anyData:
			return fmt.Sprintf("No data for %s: the loaded files do not include this measure (see the caveats).", area)
		}
		return fmt.Sprintf("No data for %s: the loaded data do not cover it.", area)
	case StatusSuppressed:
		return fmt.Sprintf("Not shown for %s: fewer than %d counted (%s), too few for a reliable figure.", area, MinDenominator, strings.ToLower(firstNonEmpty(ind.Denominator, ind.Weight)))
	case StatusNotAvailable:
		return notAvailableSentence(ind, r.Area)
	}
	cmp := comparator(ind, r)
	extra := precision(ind, r, cmp)
	about := ""
	if r.Small || (r.LSOAs < r.Members && ind.Geography != GeoLAD) {
		about = "about "
	}
	value := about + formatValue(ind.Unit, r.Value, extra)
	change := "did not change"
	switch {
	case r.Value > 0:
		change = "grew by " + about + formatValue(ind.Unit, r.Value, extra)
	case r.Value < 0:
		change = "fell by " + about + formatValue(ind.Unit, -r.Value, extra)
	}
	num, den := r.Numerator, r.Denominator
	if ind.Rule == RuleMean {
		num, den = r.Weight, r.Weight
	}
	s := strings.NewReplacer(
		"{area}", area,
		"{value}", value,
		"{change}", change,
		"{numerator}", thousands(num),
		"{denominator}", thousands(den),
		"{compare}", compareClause(ind, r, cmp, extra),
	).Replace(ind.Sentence)
	s = capitalise(strings.TrimSpace(s))
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	if r.Rank > 0 && r.RankOf > 1 {
		switch r.Rank {
		case 1:
			s += fmt.Sprintf(" %s has the highest value of the %d local authorities with data.", area, r.RankOf)
		case r.RankOf:
			s += fmt.Sprintf(" %s has the lowest value of the %d local authorities with data.", area, r.RankOf)
		default:
			s += fmt.Sprintf(" %s has the %s highest value of the %d local authorities with data.", area, ordinal(r.Rank), r.RankOf)
		}
	}
	return s
}

func notAvailableSentence(ind *Indicator, a Area) string {
	if ind.Geography == GeoLAD {
		return fmt.Sprintf("%s is computed for local authorities and England only (see the caveats).", ind.Title)
	}
	return fmt.Sprintf("%s is not shown for a %s.", ind.Title, levelName(a.Level))
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
