// Package hostile is the list of queries the public SQL console must refuse
// safely. The warehouse, HTTP and CLI tests all run it, so a case added to
// hostile.sql is checked at every layer.
package hostile

import (
	_ "embed"
	"strings"
)

//go:embed hostile.sql
var list string

// Query is one hostile query and the name its test runs under.
type Query struct{ Name, SQL string }

// Queries returns the cases in hostile.sql ("-- name: …" starts each) and
// the generated ones that cannot sit in a text file.
func Queries() []Query {
	var out []Query
	for _, line := range strings.Split(list, "\n") {
		if name, ok := strings.CutPrefix(line, "-- name: "); ok {
			out = append(out, Query{Name: name})
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].SQL += line + "\n"
		}
	}
	return append(out,
		Query{"a huge string literal", "SELECT '" + strings.Repeat("x", 1<<20) + "' AS x"},
		Query{"invalid UTF-8", "SELECT '\xff\xfe\xfd' AS x"},
		Query{"a NUL byte", "SELECT 1\x00; DROP TABLE areas"},
		Query{"many statements", strings.Repeat("SELECT 1;\n", 2000)})
}
