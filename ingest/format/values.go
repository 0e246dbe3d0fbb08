package format

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The errors returned by the value parsers. Their text is used as the Reason
// of a Reject, so it reads as a sentence fragment about the value.
var (
	errNotInt       = errors.New("not an integer")
	errIntRange     = errors.New("integer out of range")
	errNotFloat     = errors.New("not a number")
	errFloatRange   = errors.New("number out of range")
	errNotDecimal   = errors.New("not a decimal number")
	errDecimalRange = errors.New("decimal out of range (more than 18 digits)")
	errNotBool      = errors.New("not a boolean (expected true/false, yes/no, y/n or 1/0)")
	errDateRange    = errors.New("date out of range (before 1900 or after 2100)")
)

// isTrimSpace reports whether r is trimmed from the ends of a value: Unicode
// white space (which includes NBSP U+00A0) and the BOM / zero-width no-break
// space U+FEFF.
func isTrimSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\uFEFF' || r == '\u200B'
}

// trimValue trims surrounding white space, including NBSP.
func trimValue(s string) string {
	if len(s) == 0 {
		return s
	}
	// Fast path: plain ASCII at both ends that is not a space.
	if c0, c1 := s[0], s[len(s)-1]; c0 > ' ' && c0 < utf8.RuneSelf && c1 > ' ' && c1 < utf8.RuneSelf {
		return s
	}
	return strings.TrimFunc(s, isTrimSpace)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number is a parsed decimal literal: value = (-1 if neg) * digits * 10^exp,
// where digits has no leading zeros ("" means zero).
type number struct {
	neg    bool
	digits string
	exp    int
}

// maxExp bounds exponents so that arithmetic on them cannot overflow.
const maxExp = 10000

// scanNumber parses an unsigned decimal literal: an integer part whose
// thousands may be separated by commas (groups of exactly three digits), an
// optional fraction, and (if allowExp) an optional exponent. At least one
// digit is required. It returns the digits with leading zeros removed and the
// power of ten to apply.
func scanNumber(s string, allowExp bool) (digits string, exp int, ok bool) {
	i := 0
	n := len(s)
	var buf []byte // only used when the literal has commas or a fraction
	// Integer part.
	start := i
	for i < n && isDigit(s[i]) {
		i++
	}
	intEnd := i
	nInt := intEnd - start
	hasComma := false
	if i < n && s[i] == ',' {
		if nInt == 0 || nInt > 3 {
			return "", 0, false
		}
		hasComma = true
		buf = make([]byte, 0, len(s))
		buf = append(buf, s[start:intEnd]...)
		for i < n && s[i] == ',' {
			if i+4 > n || !isDigit(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
				return "", 0, false
			}
			if i+4 < n && isDigit(s[i+4]) {
				return "", 0, false
			}
			buf = append(buf, s[i+1:i+4]...)
			nInt += 3
			i += 4
		}
	}
	nFrac := 0
	fracStart := i
	if i < n && s[i] == '.' {
		i++
		fracStart = i
		for i < n && isDigit(s[i]) {
			i++
		}
		nFrac = i - fracStart
	}
	if nInt+nFrac == 0 {
		return "", 0, false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') && allowExp {
		i++
		eneg := false
		if i < n && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i >= n {
			return "", 0, false
		}
		e := 0
		for i < n && isDigit(s[i]) {
			if e < maxExp {
				e = e*10 + int(s[i]-'0')
			}
			i++
		}
		if i < n {
			return "", 0, false
		}
		if eneg {
			e = -e
		}
		exp = e
	}
	if i != n {
		return "", 0, false
	}
	switch {
	case hasComma:
		buf = append(buf, s[fracStart:fracStart+nFrac]...)
		digits = string(buf)
	case nFrac > 0:
		if nInt == 0 {
			digits = s[fracStart : fracStart+nFrac]
		} else {
			digits = s[start:intEnd] + s[fracStart:fracStart+nFrac]
		}
	default:
		digits = s[start:intEnd]
	}
	exp -= nFrac
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		exp = 0
	}
	return digits, exp, true
}

// scaleDigits returns digits*10^shift as a decimal digit string with at most
// maxDigits digits, rounding half away from zero when shift is negative.
func scaleDigits(digits string, shift, maxDigits int) (string, bool) {
	if digits == "" {
		return "", true
	}
	if shift >= 0 {
		if len(digits)+shift > maxDigits {
			return "", false
		}
		return digits + strings.Repeat("0", shift), true
	}
	k := -shift // digits to drop
	if k > len(digits) {
		return "", true // rounds to zero: the first dropped digit is a leading zero
	}
	keep := digits[:len(digits)-k]
	roundUp := digits[len(digits)-k] >= '5'
	if roundUp {
		b := []byte("0" + keep)
		j := len(b) - 1
		for ; j >= 0; j-- {
			if b[j] == '9' {
				b[j] = '0'
				continue
			}
			b[j]++
			break
		}
		keep = strings.TrimLeft(string(b), "0")
	}
	if len(keep) > maxDigits {
		return "", false
	}
	return keep, true
}

// cutSign removes one leading '+' or '-'.
func cutSign(s string) (rest string, neg, had bool) {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		return s[1:], s[0] == '-', true
	}
	return s, false, false
}

// ParseInt parses an integer, trimming surrounding white space (including
// NBSP) first. It accepts a leading sign and commas as thousands separators
// ("29,199", "+5"). A value with a fraction or an exponent (Excel writes
// 123000 as "1.23E+05") is accepted only if it is an exact integer: "1.0" and
// "1.23E+05" parse, "1.5" does not.
func ParseInt(s string) (int64, error) {
	s = trimValue(s)
	// Fast path: short plain digits.
	if len(s) > 0 && len(s) < 19 {
		allDigits := true
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				allDigits = false
				break
			}
		}
		if allDigits {
			var v int64
			for i := 0; i < len(s); i++ {
				v = v*10 + int64(s[i]-'0')
			}
			return v, nil
		}
	}
	rest, neg, _ := cutSign(s)
	digits, exp, ok := scanNumber(rest, true)
	if !ok {
		return 0, errNotInt
	}
	if exp < 0 {
		k := -exp
		if k > len(digits) || strings.TrimRight(digits[len(digits)-k:], "0") != "" {
			return 0, errNotInt
		}
		digits = digits[:len(digits)-k]
		exp = 0
	}
	if len(digits)+exp > 19 {
		return 0, errIntRange
	}
	u, err := strconv.ParseUint(digits+strings.Repeat("0", exp), 10, 64)
	if digits == "" {
		u, err = 0, nil
	}
	if err != nil {
		return 0, errIntRange
	}
	if neg {
		if u > 1<<63 {
			return 0, errIntRange
		}
		return -int64(u), nil
	}
	if u > 1<<63-1 {
		return 0, errIntRange
	}
	return int64(u), nil
}

// ParseFloat parses a decimal floating-point number, trimming surrounding
// white space first. It accepts a leading sign, commas as thousands separators
// and an exponent ("1,234.5", "-0.123", "1e3"). It rejects NaN and infinity
// text, hexadecimal forms and values out of float64 range.
func ParseFloat(s string) (float64, error) {
	s = trimValue(s)
	rest, _, _ := cutSign(s)
	if _, _, ok := scanNumber(rest, true); !ok {
		return 0, errNotFloat
	}
	if strings.IndexByte(s, ',') >= 0 {
		s = strings.ReplaceAll(s, ",", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		switch {
		case math.IsInf(f, 0):
			return 0, errFloatRange
		case errors.Is(err, strconv.ErrRange):
			// Underflow: f is the nearest representable value (0 or subnormal).
		default:
			return 0, errNotFloat
		}
	}
	return f, nil
}

// ParseDecimal parses a money or decimal amount and returns its UNSCALED
// value at the given scale: "£1,234.56" at scale 2 is 123456. It trims
// surrounding white space and accepts a "£" or "GBP" prefix, commas as
// thousands separators, spaces between the sign, currency and number, one
// sign written as a leading minus ("-£5.00", "£-5.00"), a trailing minus
// ("5.00-") or brackets ("(12.50)" is -1250), plain integers ("1240") and an
// exponent. Extra decimal places are rounded half away from zero (council
// files sometimes carry three). It rejects empty values, letters and results
// with more than 18 digits.
func ParseDecimal(s string, scale int32) (int64, error) {
	s = trimValue(s)
	if v, ok := plainDecimal(s, scale); ok {
		return v, nil
	}
	if scale < 0 || scale > DecimalPrecision {
		return 0, errNotDecimal
	}
	neg := false
	signs := 0
	if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		neg = true
		signs++
		s = trimValue(s[1 : len(s)-1])
	}
	// Prefix: any order of one sign and one currency marker, with spaces.
	currency := false
	for {
		switch {
		case s != "" && (s[0] == '-' || s[0] == '+'):
			signs++
			neg = neg || s[0] == '-'
			s = trimValue(s[1:])
			continue
		case !currency && strings.HasPrefix(s, "£"):
			currency = true
			s = trimValue(s[len("£"):])
			continue
		case !currency && len(s) >= 3 && strings.EqualFold(s[:3], "GBP"):
			currency = true
			s = trimValue(s[3:])
			continue
		}
		break
	}
	if s != "" && s[len(s)-1] == '-' {
		signs++
		neg = true
		s = trimValue(s[:len(s)-1])
	}
	if signs > 1 {
		return 0, errNotDecimal
	}
	digits, exp, ok := scanNumber(s, true)
	if !ok {
		return 0, errNotDecimal
	}
	if exp > maxExp || exp < -maxExp {
		if exp < 0 {
			return 0, nil
		}
		return 0, errDecimalRange
	}
	out, ok := scaleDigits(digits, exp+int(scale), DecimalPrecision)
	if !ok {
		return 0, errDecimalRange
	}
	if out == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return 0, errDecimalRange
	}
	if neg {
		v = -v
	}
	return v, nil
}

// plainDecimal is ParseDecimal's fast path for the commonest form: an
// optional '-', 1 to 15 digits, and optionally '.' and 1 to scale digits, so
// that the result has at most 18 digits and needs no rounding. It reports
// false for anything else, which the general parser then decides.
func plainDecimal(s string, scale int32) (int64, bool) {
	if scale < 0 {
		return 0, false
	}
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var v int64
	i, n := 0, len(s)
	for i < n && isDigit(s[i]) {
		v = v*10 + int64(s[i]-'0')
		i++
	}
	if i == 0 || i > 15 || i+int(scale) > DecimalPrecision {
		return 0, false
	}
	frac := 0
	if i < n {
		if s[i] != '.' {
			return 0, false
		}
		i++
		for i < n && isDigit(s[i]) {
			v = v*10 + int64(s[i]-'0')
			i++
			frac++
		}
		if i < n || frac == 0 || frac > int(scale) {
			return 0, false
		}
	}
	for ; frac < int(scale); frac++ {
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, true
}

// defaultDateLayouts are the Go time layouts ParseDate tries, in order, when
// a column gives none. Day comes before month: these are UK files.
var defaultDateLayouts = []string{
	"2006-01-02",
	"02/01/2006",
	"2/1/2006",
	"02-Jan-2006",
	"2-Jan-2006",
	"02-Jan-06",
	"2-Jan-06",
	"02 Jan 2006",
	"2 Jan 2006",
	"2 January 2006",
	"20060102",
	"02-01-2006",
	"02.01.2006",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"02/01/2006 15:04",
	"02/01/2006 15:04:05",
}

var layoutHumanizer = strings.NewReplacer(
	"2006", "yyyy", "January", "Month", "Jan", "Mon", "Z07:00", "±hh:mm",
	"15", "HH", "01", "mm", "02", "dd", "06", "yy", "04", "MM", "05", "SS",
	"1", "m", "2", "d",
)

// humanLayouts renders layouts as "dd/mm/yyyy"-style text for messages.
func humanLayouts(layouts []string) string {
	parts := make([]string, len(layouts))
	for i, l := range layouts {
		parts[i] = layoutHumanizer.Replace(l)
	}
	return strings.Join(parts, ", ")
}

var defaultDateError = errors.New("not a date (tried " + humanLayouts(defaultDateLayouts) + ")")

// DefaultDateLayouts returns (a copy of) the Go time layouts ParseDate tries,
// in order, when a column gives none.
func DefaultDateLayouts() []string {
	return append([]string(nil), defaultDateLayouts...)
}

// hasTwoDigitYear reports whether a layout has "06" but not "2006".
func hasTwoDigitYear(layout string) bool {
	return strings.Contains(strings.ReplaceAll(layout, "2006", ""), "06")
}

// ParseDate parses a date with the first layout in layouts that fits, after
// trimming surrounding white space. No layouts means DefaultDateLayouts().
// Month names match case-insensitively ("15-JUN-2012"); a two-digit year is
// 2000+yy; any time of day is dropped. Excel serial numbers are not guessed.
// Dates before 1900 or after 2100 are rejected. The result is midnight UTC.
func ParseDate(s string, layouts []string) (time.Time, error) {
	s = trimValue(s)
	if len(layouts) == 0 {
		if t, ok := fastDate(s); ok {
			return checkDate(t)
		}
		for _, l := range defaultDateLayouts {
			if t, ok := parseLayout(l, s); ok {
				return checkDate(t)
			}
		}
		return time.Time{}, defaultDateError
	}
	for _, l := range layouts {
		if t, ok := parseLayout(l, s); ok {
			return checkDate(t)
		}
	}
	return time.Time{}, errors.New("not a date (tried " + humanLayouts(layouts) + ")")
}

// parseLayout parses s with one layout, reading a two-digit year as 20yy and
// dropping any time of day.
func parseLayout(layout, s string) (time.Time, bool) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	y, m, d := t.Date()
	if hasTwoDigitYear(layout) && y < 2000 {
		y += 100
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
}

func checkDate(t time.Time) (time.Time, error) {
	if y := t.Year(); y < 1900 || y > 2100 {
		return time.Time{}, errDateRange
	}
	return t, nil
}

// fastDate parses the two commonest forms, dd/mm/yyyy and yyyy-mm-dd,
// without time.Parse. It reports false for anything else (including invalid
// days), leaving the full layout list to decide.
func fastDate(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		v := 0
		for i := a; i < b; i++ {
			if !isDigit(s[i]) {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		return v, true
	}
	var y, m, d int
	var ok1, ok2, ok3 bool
	switch {
	case s[2] == '/' && s[5] == '/':
		d, ok1 = num(0, 2)
		m, ok2 = num(3, 5)
		y, ok3 = num(6, 10)
	case s[4] == '-' && s[7] == '-':
		y, ok1 = num(0, 4)
		m, ok2 = num(5, 7)
		d, ok3 = num(8, 10)
	default:
		return time.Time{}, false
	}
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ParseBool parses true/false, yes/no, y/n and 1/0, case-insensitively,
// after trimming surrounding white space.
func ParseBool(s string) (bool, error) {
	s = trimValue(s)
	switch strings.ToLower(s) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	}
	return false, errNotBool
}

// NormalizeHeader reduces a header (or alias) to the form used for matching:
// it strips a BOM (U+FEFF) and the double-encoded BOM text "ï»¿", lower-cases,
// and drops everything that is not a letter or digit, so "Net amount",
// "NetAmount", "net_amount" and "Net Amount " all become "netamount".
func NormalizeHeader(s string) string {
	if strings.Contains(s, "ï»¿") {
		s = strings.ReplaceAll(s, "ï»¿", "")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if c >= 'A' && c <= 'Z' {
				b.WriteByte(c + 'a' - 'A')
			} else if (c >= 'a' && c <= 'z') || isDigit(c) {
				b.WriteByte(c)
			}
		case r == '\uFEFF':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// IsNullToken reports whether s is a null: empty after trimming white space
// (including NBSP), or exactly equal, after trimming, to one of extra (each
// also trimmed). Matching is case-sensitive.
func IsNullToken(s string, extra []string) bool {
	s = trimValue(s)
	if s == "" {
		return true
	}
	for _, e := range extra {
		if s == trimValue(e) {
			return true
		}
	}
	return false
}
