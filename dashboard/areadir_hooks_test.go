package dashboard

import (
	"context"
	"fmt"
	"math"
	"reflect"
)

// DirectoryMismatches compares what the profile reads from the area
// directory with what the warehouse's SQL gives for the same areas (the
// SQL is the spec), for the test in package dashboard_test.
func DirectoryMismatches(ctx context.Context, s *Server, codes []string) ([]string, error) {
	var out []string
	diff := func(code, what string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			out = append(out, fmt.Sprintf("%s %s:\n directory %+v\n       SQL %+v", code, what, got, want))
		}
	}
	roundKm := func(sec *ServicesSection) {
		if sec == nil {
			return
		}
		for i := range sec.Groups {
			for _, l := range [][]NearService{sec.Groups[i].Examples, sec.Groups[i].Nearest} {
				for j := range l {
					l[j].Km = math.Round(l[j].Km*1e6) / 1e6
				}
			}
		}
	}
	type shape struct {
		Code, Name string
		Points     int
	}
	flat := func(ss []lsoaShape) []shape {
		var o []shape
		for _, s := range ss {
			o = append(o, shape{s.code, s.name, countPoints(s.geom)})
		}
		return o
	}
	for _, code := range codes {
		a, err := s.findArea(ctx, code)
		if err != nil {
			return nil, err
		}
		b, err := s.findAreaSQL(ctx, code)
		if err != nil {
			return nil, err
		}
		diff(code, "area", a, b)
		kids, err := s.children(ctx, a)
		if err != nil {
			return nil, err
		}
		kidsSQL, err := s.childrenSQL(ctx, a)
		if err != nil {
			return nil, err
		}
		diff(code, "children", kids, kidsSQL)
		dep, err := s.deprivationProfile(ctx, a)
		if err != nil {
			return nil, err
		}
		depSQL, err := s.deprivationSQL(ctx, a)
		if err != nil {
			return nil, err
		}
		diff(code, "deprivation", dep, depSQL)
		sv, err := s.buildServicesSection(ctx, a)
		if err != nil {
			return nil, err
		}
		svSQL, err := s.servicesSQL(ctx, a)
		if err != nil {
			return nil, err
		}
		roundKm(sv)
		roundKm(svSQL)
		diff(code, "services", sv, svSQL)
		money, err := s.buildMoneySection(ctx, a)
		if err != nil {
			return nil, err
		}
		moneySQL, err := s.buildMoneySectionSQL(ctx, a)
		if err != nil {
			return nil, err
		}
		diff(code, "money", money, moneySQL)
		ms, err := s.areaMapShapes(ctx, a)
		if err != nil {
			return nil, err
		}
		msSQL, err := s.areaMapShapesSQL(ctx, a)
		if err != nil {
			return nil, err
		}
		type dshape struct {
			Code, Name     string
			Points, Decile int
		}
		dflat := func(ss []decileShape) []dshape {
			var o []dshape
			for _, s := range ss {
				o = append(o, dshape{s.code, s.name, countPoints(s.geom), s.decile})
			}
			return o
		}
		diff(code, "deprivation map", dflat(ms), dflat(msSQL))
		for _, v := range []int{2011, 2021} {
			var got, want []lsoaShape
			if a.Level == "lsoa11" || a.Level == "lsoa21" {
				if got, err = s.contextShapes(ctx, a, v); err == nil {
					want, err = s.contextShapesSQL(ctx, a, v)
				}
			} else if got, err = s.areaShapes(ctx, a, v); err == nil {
				want, err = s.areaShapesSQL(ctx, a, v)
			}
			if err != nil {
				return nil, err
			}
			diff(code, fmt.Sprintf("shapes %d", v), flat(got), flat(want))
		}
	}
	return out, nil
}
