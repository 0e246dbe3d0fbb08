package dashboard

import (
	"slices"
	"testing"
)

func TestUniqueAttributions(t *testing.T) {
	ogl := "Contains public sector information licensed under the Open Government Licence v3.0."
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", []string{"", ""}, nil},
		{"same text twice", []string{ogl, ogl}, []string{ogl}},
		{"shared sentence dropped from the second", []string{"Source: ONS. " + ogl, ogl + " Contains OS data © Crown copyright 2025."},
			[]string{"Source: ONS. " + ogl, "Contains OS data © Crown copyright 2025."}},
		{"nothing new", []string{"A. B.", "B. A."}, []string{"A. B."}},
		{"version numbers are not sentence ends", []string{"Licence v3.0 applies. Grants by X."}, []string{"Licence v3.0 applies. Grants by X."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var as []Attribution
			for _, s := range tc.in {
				as = append(as, Attribution{Attribution: s})
			}
			if got := uniqueAttributions(as); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
