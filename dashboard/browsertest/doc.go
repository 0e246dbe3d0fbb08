// Package browsertest drives the dashboard in real headless Chromium, on real
// Trafford data: the journey from search to briefing, map tiles checked by
// their pixels, the briefing's print layout on A4, and axe-core
// accessibility checks of every page. The tests are in *_test.go; see
// docs/TESTING.md for what they check and how to run one.
package browsertest
