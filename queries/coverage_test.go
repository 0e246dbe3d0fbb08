package queries

import "testing"

// England's figure must cover England: GP practices located in one
// authority, or 2021 LSOAs loaded for Greater Manchester only, are not
// England's, and are neither shown nor compared.
func TestEnglandCoverage(t *testing.T) {
	geo := &geography{country: map[int]int{2011: 32844, 2021: 1702}}
	tests := []struct {
		name      string
		rows      int
		vintage   int
		withData  int
		wantShown bool
	}{
		{"all of England on 2011 LSOAs", 32844, 2011, 32844, true},
		{"a few missing values", 32844, 2011, 32000, true},
		{"one authority's services", 138, 2011, 138, false},
		{"2021 LSOAs for Greater Manchester only", 1702, 2021, 1702, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &table{ind: &Indicator{Unit: UnitPercent}, englishRows: tt.rows}
			ce := Estimate{Status: StatusOK, Value: 0.2, LSOAs: tt.withData, Members: englandMembers(tb, geo, tt.vintage)}
			cmp := compareWith(tb.ind, Estimate{Status: StatusOK, Value: 0.3}, Area{Code: EnglandCode, Name: "England"}, ce)
			if shown := cmp.Status == StatusOK; shown != tt.wantShown {
				t.Errorf("England shown = %v (status %q, %d of %d LSOAs), want %v", shown, cmp.Status, ce.LSOAs, ce.Members, tt.wantShown)
			}
			if !tt.wantShown && (cmp.Note == "" || cmp.Judgement != JudgeNotCompared) {
				t.Errorf("partial England: note %q, judgement %q", cmp.Note, cmp.Judgement)
			}
		})
	}
	// With both vintages loaded for all of England, both are England.
	full := &geography{country: map[int]int{2011: 32844, 2021: 33755}}
	for _, v := range []int{2011, 2021} {
		if n := englandMembers(&table{}, full, v); coverage(full.country[v], n) < MinCoverage {
			t.Errorf("vintage %d: %d members against %d loaded", v, n, full.country[v])
		}
	}
}
