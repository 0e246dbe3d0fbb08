package dashboard

import (
	"context"
	"strings"

	"commonground/queries"
)

// laRange is an indicator's spread across England's local authorities
// (cached per data version); ok is false when fewer than two have a value.
func (s *Server) laRange(ctx context.Context, id string) (Range, bool) {
	type rr struct {
		r  Range
		ok bool
	}
	r, err := cachedSection(ctx, s, "range|"+id, func(ctx context.Context) (rr, error) {
		vs, err := s.cat.Values(ctx, s.db, id, "lad", "")
		if err != nil {
			return rr{}, nil // not computed for local authorities: no range
		}
		var xs []float64
		for _, v := range vs {
			// England's figure leaves the synthetic demo out (codes in the
			// 099xxx range ONS does not issue); so does its range.
			if v.Status == queries.StatusOK && strings.HasPrefix(v.Area.Code, "E") && !strings.HasPrefix(v.Area.Code[3:], "099") {
				xs = append(xs, v.Value)
			}
		}
		rg, ok := rangeOf(xs)
		return rr{rg, ok}, nil
	})
	if err != nil {
		return Range{}, false
	}
	return r.r, r.ok
}

// spineFor builds the spine chart of a profile's headline indicators.
func (s *Server) spineFor(ctx context.Context, head []IndicatorRow) []SpineRow {
	if s.cat == nil {
		return nil
	}
	ranges := map[string]Range{}
	for _, r := range head {
		if !r.HasEngland {
			continue
		}
		if rg, ok := s.laRange(ctx, r.ID); ok {
			ranges[r.ID] = rg
		}
	}
	return spineRows(head, ranges)
}

// spineByID indexes spine rows by indicator, for pages that draw a row
// beside each fact (the briefing).
func spineByID(rows []SpineRow) map[string]*SpineRow {
	out := make(map[string]*SpineRow, len(rows))
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	return out
}
