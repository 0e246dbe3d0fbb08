package dashboard

import (
	"strings"
	"testing"
)

// A neighbourhood's deprivation facts say its decile, not "0% of residents
// in the 10% most deprived" (all or nothing for one LSOA).
func TestNeighbourhoodHeadline(t *testing.T) {
	head := []IndicatorRow{
		{ID: "imd2025_most_deprived_10pc", Value: "0%", HasValue: true},
		{ID: "imd2019_income_most_deprived_10pc", Value: "0%", HasValue: true},
		{ID: "population_aged_65_plus", Value: "12%", HasValue: true},
	}
	dep := []Deprivation{{Edition: 2025, LSOAs: 1, Rows: []DecileRow{{Decile: 2, Share: 0}, {Decile: 3, Share: 1}}}}
	tests := []struct {
		area Area
		want []string // values, in order
		say  string
	}{
		{Area{Name: "Trafford 004D", Level: "lsoa21"}, []string{"3 of 10", "12%"}, "decile 3 of England's neighbourhoods on the Index of Multiple Deprivation 2025: among the 30% most deprived"},
		{Area{Name: "Trafford", Level: "lad"}, []string{"0%", "0%", "12%"}, ""},
	}
	for _, tt := range tests {
		got := neighbourhoodHeadline(tt.area, head, dep)
		var vals []string
		for _, r := range got {
			vals = append(vals, r.Value)
		}
		if strings.Join(vals, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: values %v, want %v", tt.area.Level, vals, tt.want)
		}
		if tt.say != "" && !strings.Contains(got[0].Sentence, tt.say) {
			t.Errorf("%s: sentence %q", tt.area.Level, got[0].Sentence)
		}
	}
	dep[0].Rows = []DecileRow{{Decile: 8, Share: 1}}
	if s := neighbourhoodHeadline(Area{Name: "X", Level: "lsoa11"}, head, dep)[0].Sentence; !strings.Contains(s, "among the 30% least deprived") {
		t.Errorf("decile 8: %q", s)
	}
}
