package queries

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Golden sentences: every indicator's sentence for a few areas, in
// testdata/golden/<code>.txt. Run with -update to rewrite them after a
// deliberate change, and read the diff.
func TestGoldenSentences(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{
		"E08000009",    // Trafford (local authority, lsoa11 and lsoa21)
		"E06000009",    // Blackpool (local authority, lsoa11 only)
		"E05000820",    // Ashton upon Mersey, a Trafford ward
		"E01012673",    // Blackpool 010A, an LSOA in decile 1
		EnglandCode,    // England
		customTrafford, // a custom area
	} {
		t.Run(code, func(t *testing.T) {
			rs, err := c.ForArea(t.Context(), db, code)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# %s %s (%s)\n", rs[0].Area.Code, rs[0].Area.Name, rs[0].Area.Level)
			for _, r := range rs {
				fmt.Fprintf(&b, "%s: %s\n", r.Indicator.ID, r.Sentence)
			}
			path := filepath.Join("testdata", "golden", code+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) || i < len(wl); i++ {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Errorf("%s:%d:\n got  %s\n want %s", path, i+1, g, w)
					}
				}
				t.Log("run with -update if the change is intended")
			}
		})
	}
}
