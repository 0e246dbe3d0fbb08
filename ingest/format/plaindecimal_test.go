package format

import (
	"math/rand"
	"strings"
	"testing"
)

// TestPlainDecimalMatchesGeneralParser checks ParseDecimal's fast path
// against the general parser on random plain numbers: "+x" and "(x)" never
// take the fast path and must give the same result as "x" and "-x".
func TestPlainDecimalMatchesGeneralParser(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	n := 300_000
	if testing.Short() {
		n = 30_000
	}
	for k := 0; k < n; k++ {
		var b strings.Builder
		for j := rng.Intn(20); j > 0; j-- {
			b.WriteByte(byte('0' + rng.Intn(10)))
		}
		if rng.Intn(3) > 0 {
			b.WriteByte('.')
			for j := rng.Intn(6); j > 0; j-- {
				b.WriteByte(byte('0' + rng.Intn(10)))
			}
		}
		s := b.String()
		scale := int32(rng.Intn(22) - 2)
		for _, c := range [][2]string{{s, "+" + s}, {"-" + s, "(" + s + ")"}} {
			v1, err1 := ParseDecimal(c[0], scale)
			v2, err2 := ParseDecimal(c[1], scale)
			if v1 != v2 || (err1 == nil) != (err2 == nil) {
				_, fast := plainDecimal(c[0], scale)
				t.Fatalf("scale %d: %q = %d, %v (fast path %v); %q = %d, %v", scale, c[0], v1, err1, fast, c[1], v2, err2)
			}
		}
	}
	for _, c := range []struct {
		s     string
		scale int32
		want  int64
	}{{"1234.56", 2, 123456}, {"-0.5", 2, -50}, {"7", 2, 700}, {"007.1", 3, 7100}, {"999999999999999.99", 2, 99999999999999999}} {
		if v, ok := plainDecimal(c.s, c.scale); !ok || v != c.want {
			t.Errorf("plainDecimal(%q, %d) = %d, %v; want %d", c.s, c.scale, v, ok, c.want)
		}
	}
}
