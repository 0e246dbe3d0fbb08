package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

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

// profileBase is an area profile but its map: read-only once built.
type profileBase struct {
	Area                 Area
	Children             []AreaRef
	Deprivation          []Deprivation
	Headline, Indicators []IndicatorRow
	Spine                []SpineRow
	IndicatorsFailed     bool
	// Notes are the caveats of Indicators, each once (see numberNotes).
	Notes     []string
	Services  *ServicesSection
	Money     *MoneySection
	MoneyNeed *MoneyNeed
	Gaps      *GapsSection
}

// errIndicatorsFailed comes with a profile built without its indicators,
// so that it is shown but not cached.
var errIndicatorsFailed = errors.New("indicators failed")

func (s *Server) buildProfile(ctx context.Context, a Area) (*profileBase, error) {
	var err error
	pb := &profileBase{Area: a}
	fail := func(err error) (*profileBase, error) {
		return nil, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	if pb.Children, err = s.children(ctx, a); err != nil {
		return fail(err)
	}
	if pb.Deprivation, err = s.deprivationProfile(ctx, a); err != nil {
		return fail(err)
	}
	if pb.Services, err = s.servicesSection(ctx, a); err != nil {
		return fail(err)
	}
	if pb.Money, err = s.moneySection(ctx, a); err != nil {
		return fail(err)
	}
	pb.MoneyNeed = s.moneyNeed(ctx, a) // money.go
	pb.Gaps = s.areaGaps(ctx, a)       // gaps.go
	pb.Headline, pb.Indicators, err = s.indicatorRows(ctx, a.Code)
	if err != nil {
		s.log.Error("indicators failed", "area", a.Code, "err", err)
		pb.IndicatorsFailed = true
		return pb, errIndicatorsFailed
	}
	pb.Headline = neighbourhoodHeadline(a, pb.Headline, pb.Deprivation)
	pb.Notes = numberNotes(pb.Indicators)
	pb.Spine = s.spineFor(ctx, pb.Headline)
	return pb, nil
}
