package browsertest

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"testing"
)

// Every area a Trafford profile links to has a profile of its own: an
// LSOA's ward is the 2023 ward it is in now (best fit), not the 2022
// lookup ward those replaced, which has no page. No browser needed.
func TestTraffordAreaLinksResolve(t *testing.T) {
	srv := traffordServer(t)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	link := regexp.MustCompile(`href="/areas/([A-Z0-9]+)"`)
	seen := map[string]bool{}
	for _, start := range []string{"E08000009", "E01006074"} {
		status, body := get("/areas/" + start)
		if status != 200 {
			t.Fatalf("/areas/%s: %d", start, status)
		}
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			seen[m[1]] = true
		}
	}
	codes := slices.Sorted(func(yield func(string) bool) {
		for c := range seen {
			if !yield(c) {
				return
			}
		}
	})
	if len(codes) < 20 {
		t.Fatalf("only %d area links: %v", len(codes), codes)
	}
	for _, c := range codes {
		if status, _ := get("/areas/" + c); status != 200 {
			t.Errorf("/areas/%s, linked from a Trafford profile: %d", c, status)
		}
	}
	// The LSOA's ward is one of the 2023 wards (E05015xxx), named.
	_, body := get("/areas/E01006074")
	if m := regexp.MustCompile(`href="/areas/(E05[0-9]+)">([^<]+)<`).FindStringSubmatch(body); m == nil || m[1] < "E05014" || m[2] == m[1] {
		t.Errorf("E01006074's ward link: %q", m)
	}
}
