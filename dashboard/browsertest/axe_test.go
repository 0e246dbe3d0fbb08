package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource reads axe-core from node_modules (npm ci installs it, at the
// version package-lock.json pins). It is injected into the page through
// the DevTools protocol, so it is never served by the dashboard.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		var b []byte
		b, axeErr = os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
		axeJS = string(b)
	})
	if axeErr != nil {
		if inCI() {
			t.Fatalf("axe-core missing (.ci/run runs npm ci): %v", axeErr)
		}
		t.Skipf("axe-core missing: run npm ci (%v)", axeErr)
	}
	return axeJS
}

// axeResult is the part of axe.run's result the tests read.
type axeResult struct {
	Violations []struct {
		ID      string `json:"id"`
		Impact  string `json:"impact"`
		Help    string `json:"help"`
		HelpURL string `json:"helpUrl"`
		Nodes   []struct {
			Target         []any  `json:"target"`
			HTML           string `json:"html"`
			FailureSummary string `json:"failureSummary"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes int `json:"passes"`
}

// axeRules are the rule sets run: WCAG 2.0–2.2 A and AA, and axe's best
// practices. Only serious and critical violations fail a test; the rest
// are logged.
const axeRun = `(async () => {
  const r = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    resultTypes: ["violations", "passes"]
  });
  return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 200), failureSummary: n.failureSummary}))})),
    passes: r.passes.length};
})()`

// checkAxe runs axe-core on the page as it stands and fails the test on
// any serious or critical violation, printing each one readably.
func checkAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src := axeSource(t)
	if !eval[bool](t, ctx, `typeof axe !== "undefined"`) {
		eval[bool](t, ctx, src+"\n;true")
	}
	res := eval[axeResult](t, ctx, axeRun)
	var bad, minor []string
	for _, v := range res.Violations {
		var b strings.Builder
		fmt.Fprintf(&b, "[%s] %s: %s (%s)", v.Impact, v.ID, v.Help, v.HelpURL)
		for i, n := range v.Nodes {
			if i == 5 {
				fmt.Fprintf(&b, "\n      … and %d more", len(v.Nodes)-5)
				break
			}
			fmt.Fprintf(&b, "\n      %v %s\n        %s", n.Target, n.HTML, strings.ReplaceAll(n.FailureSummary, "\n", "\n        "))
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, b.String())
		} else {
			minor = append(minor, b.String())
		}
	}
	if res.Passes == 0 {
		t.Errorf("axe-core passed no rule on %s: did it run?", page)
	}
	for _, m := range minor {
		t.Logf("axe on %s (not failing): %s", page, m)
	}
	if len(bad) > 0 {
		t.Errorf("axe-core found %d serious or critical accessibility violations on %s:\n  %s", len(bad), page, strings.Join(bad, "\n  "))
	}
}
