package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"commonground/warehouse"
)

// ErrUnknownService is returned by Gaps for a service key not in
// ServiceTypes.
var ErrUnknownService = errors.New("unknown service type")

// ErrNoArea is returned by Gaps when no area has the code given.
var ErrNoArea = errors.New("no such area")

// GapArea names the area a report is for.
type GapArea struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// GapRow is one neighbourhood (LSOA 2011) of a gaps report: a
// service_access row with its name and ward.
type GapRow struct {
	LSOA      string  `json:"lsoa11_code"`
	Name      string  `json:"name"`
	WardCode  string  `json:"ward_code,omitempty"`
	WardName  string  `json:"ward_name,omitempty"`
	LADCode   string  `json:"lad_code"`
	LADName   string  `json:"lad_name,omitempty"`
	Lon       float64 `json:"lon"`
	Lat       float64 `json:"lat"`
	NearestKm float64 `json:"nearest_km"`
	// Within is the number of services within the type's threshold.
	Within           int   `json:"services_within_threshold"`
	InLSOA           int   `json:"services_in_lsoa"`
	Population       int64 `json:"population"`
	Residents        int64 `json:"residents"`
	Beyond           bool  `json:"beyond_threshold"`
	NeedRank         int   `json:"need_rank,omitempty"`
	NeedDecile       int   `json:"need_decile,omitempty"`
	IMDDecile        int   `json:"imd_decile,omitempty"`
	NeedRankLA       int   `json:"need_rank_la,omitempty"`
	LSOAsLA          int   `json:"lsoas_la"`
	AccessRank       int   `json:"access_rank"`
	LSOAsCovered     int   `json:"lsoas_covered"`
	AccessRankLA     int   `json:"access_rank_la"`
	NeedWorstEngland bool  `json:"need_worst20_england"`
	NeedWorstLA      bool  `json:"need_worst20_la"`
	AccessWorstEng   bool  `json:"access_worst20_england"`
	AccessWorstLA    bool  `json:"access_worst20_la"`
	FlagEngland      bool  `json:"flag_england"`
	FlagLA           bool  `json:"flag_la"`
}

// Flagged reports whether the row is high need, low provision in either
// frame.
func (r GapRow) Flagged() bool { return r.FlagEngland || r.FlagLA }

// GapCount is a number of neighbourhoods and the people in them.
type GapCount struct {
	LSOAs      int   `json:"lsoas"`
	Population int64 `json:"population"`
	Residents  int64 `json:"residents"`
}

func (c *GapCount) add(r GapRow) {
	c.LSOAs++
	c.Population += r.Population
	c.Residents += r.Residents
}

// GapReport is provision against need for one service type in one area.
type GapReport struct {
	Service         ServiceType `json:"-"`
	Within          GapArea     `json:"within"`
	NeedDomain      string      `json:"need_domain"`
	PopulationGroup string      `json:"population_group"`
	// LSOAs is the area's LSOAs (2011); Covered those in a local authority
	// where the type is loaded.
	LSOAs   int      `json:"lsoas"`
	Covered GapCount `json:"covered"`
	// CoveredLADs are the local authorities, in all England, where the type
	// is loaded: "England" in the flags means their neighbourhoods.
	CoveredLADs    []string `json:"covered_lads"`
	CoveredLSOAsEn int      `json:"covered_lsoas_england"`
	// Services located in the area's covered LSOAs.
	Services int `json:"services"`
	// Per10k is Services per 10,000 of the population group.
	Per10k *float64 `json:"per_10k"`
	// MeanKm is the population-weighted mean distance to the nearest one.
	MeanKm *float64 `json:"mean_nearest_km"`
	// Beyond: neighbourhoods whose centre is more than the threshold away;
	// BeyondNeed: those of them in England's worst 20% on need.
	Beyond         GapCount `json:"beyond_threshold"`
	BeyondNeed     GapCount `json:"beyond_threshold_high_need"`
	FlaggedEngland GapCount `json:"flagged_england"`
	FlaggedLA      GapCount `json:"flagged_la"`
	FlaggedEither  GapCount `json:"flagged_either"`
	Rows           []GapRow `json:"neighbourhoods"`
}

// Gaps reports provision against need for a service type (key as in
// ServiceTypes) in an area of any level (LSOA, ward, local authority,
// custom area, England), from service_access. Rows are ranked: flagged in
// both frames first, then in either, then by distance, furthest first.
func Gaps(ctx context.Context, db *warehouse.DB, service, within string) (GapReport, error) {
	t, ok := ServiceTypeByKey(service)
	if !ok {
		return GapReport{}, fmt.Errorf("%w %q", ErrUnknownService, service)
	}
	rep := GapReport{Service: t, PopulationGroup: t.PopulationGroup(), NeedDomain: t.NeedDomain}
	within = strings.ToUpper(strings.TrimSpace(within))
	var name sql.NullString
	err := db.SQL().QueryRowContext(ctx, `SELECT code, name, level FROM areas WHERE code = ?
		ORDER BY CASE level WHEN 'lad' THEN 0 WHEN 'custom' THEN 1 WHEN 'ward' THEN 2 WHEN 'lsoa11' THEN 3 ELSE 4 END, vintage DESC NULLS LAST LIMIT 1`,
		within).Scan(&rep.Within.Code, &name, &rep.Within.Level)
	if errors.Is(err, sql.ErrNoRows) && within == EnglandCode {
		rep.Within = GapArea{Code: EnglandCode, Name: "England", Level: "country"}
	} else if errors.Is(err, sql.ErrNoRows) {
		// A ward of the LSOA lookup whose boundaries are not loaded is still
		// an area made of LSOAs (area_lsoas); its name is in the lookup.
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*), any_value(l.ward_name) FROM area_lsoas m
			LEFT JOIN lookup_lsoa_ward_lad l ON l.ward_code = m.area_code
			WHERE m.area_code = ? AND m.area_level = 'ward'`, within).Scan(&n, &name); err != nil {
			return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
		}
		if n == 0 {
			return rep, fmt.Errorf("%w %q", ErrNoArea, within)
		}
		rep.Within = GapArea{Code: within, Level: "ward"}
	} else if err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	if name.Valid {
		rep.Within.Name = name.String
	}
	level := rep.Within.Level
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM area_lsoas WHERE area_code = ? AND area_level = ? AND lsoa_vintage = 2011`,
		rep.Within.Code, level).Scan(&rep.LSOAs); err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	lads, err := db.SQL().QueryContext(ctx, `SELECT DISTINCT lad_code, max(lsoas_covered) OVER () FROM service_access WHERE service = ? ORDER BY 1`, t.Key)
	if err != nil {
		return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
	}
	for lads.Next() {
		var c sql.NullString
		if err := lads.Scan(&c, &rep.CoveredLSOAsEn); err != nil {
			lads.Close()
			return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
		}
		rep.CoveredLADs = append(rep.CoveredLADs, c.String)
	}
	lads.Close()
	if err := lads.Err(); err != nil {
		return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
	}

	rows, err := db.SQL().QueryContext(ctx, `
		SELECT s.lsoa11_code, coalesce(a.name, ''), coalesce(a.ward_code, ''), coalesce(w.name, lk.ward_name, ''), coalesce(s.lad_code, ''), coalesce(l.name, ''),
		       coalesce(a.centroid_lon, 0), coalesce(a.centroid_lat, 0),
		       s.nearest_km, s.services_within, s.services_in_lsoa, coalesce(s.population, 0), coalesce(s.residents, 0), s.beyond_threshold,
		       coalesce(s.need_rank, 0), coalesce(s.need_decile, 0), coalesce(s.imd_decile, 0), coalesce(s.need_rank_la, 0), s.lsoas_la,
		       s.access_rank, s.lsoas_covered, s.access_rank_la, s.need_worst20_england, s.need_worst20_la,
		       s.access_worst20_england, s.access_worst20_la, s.flag_england, s.flag_la, s.need_domain
		FROM area_lsoas m
		JOIN service_access s ON s.lsoa11_code = m.lsoa_code AND s.service = ?
		LEFT JOIN areas a ON a.level = 'lsoa11' AND a.code = s.lsoa11_code
		LEFT JOIN (SELECT code, any_value(name) AS name FROM areas WHERE level = 'ward' GROUP BY code) w ON w.code = a.ward_code
		LEFT JOIN (SELECT code, any_value(name) AS name FROM areas WHERE level = 'lad' GROUP BY code) l ON l.code = s.lad_code
		-- Ward names from the lookup when the ward boundaries of that vintage are not loaded.
		LEFT JOIN (SELECT ward_code, any_value(ward_name) AS ward_name FROM lookup_lsoa_ward_lad GROUP BY ward_code) lk ON lk.ward_code = a.ward_code
		WHERE m.area_code = ? AND m.area_level = ? AND m.lsoa_vintage = 2011`, t.Key, rep.Within.Code, level)
	if err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	defer rows.Close()
	var sumKm, sumW float64
	for rows.Next() {
		var r GapRow
		if err := rows.Scan(&r.LSOA, &r.Name, &r.WardCode, &r.WardName, &r.LADCode, &r.LADName, &r.Lon, &r.Lat,
			&r.NearestKm, &r.Within, &r.InLSOA, &r.Population, &r.Residents, &r.Beyond,
			&r.NeedRank, &r.NeedDecile, &r.IMDDecile, &r.NeedRankLA, &r.LSOAsLA,
			&r.AccessRank, &r.LSOAsCovered, &r.AccessRankLA, &r.NeedWorstEngland, &r.NeedWorstLA,
			&r.AccessWorstEng, &r.AccessWorstLA, &r.FlagEngland, &r.FlagLA, &rep.NeedDomain); err != nil {
			return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
		}
		rep.Covered.add(r)
		rep.Services += r.InLSOA
		sumKm += r.NearestKm * float64(r.Population)
		sumW += float64(r.Population)
		if r.Beyond {
			rep.Beyond.add(r)
			if r.NeedWorstEngland {
				rep.BeyondNeed.add(r)
			}
		}
		if r.FlagEngland {
			rep.FlaggedEngland.add(r)
		}
		if r.FlagLA {
			rep.FlaggedLA.add(r)
		}
		if r.Flagged() {
			rep.FlaggedEither.add(r)
		}
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	if sumW > 0 {
		km := sumKm / sumW
		per := float64(rep.Services) / sumW * 10000
		rep.MeanKm, rep.Per10k = &km, &per
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if ab, bb := a.FlagEngland && a.FlagLA, b.FlagEngland && b.FlagLA; ab != bb {
			return ab
		}
		if a.Flagged() != b.Flagged() {
			return a.Flagged()
		}
		if a.NearestKm != b.NearestKm {
			return a.NearestKm > b.NearestKm
		}
		return a.LSOA < b.LSOA
	})
	return rep, nil
}

// Flagged returns the rows flagged in either frame, in rank order.
func (r GapReport) Flagged() []GapRow {
	var out []GapRow
	for _, row := range r.Rows {
		if row.Flagged() {
			out = append(out, row)
		}
	}
	return out
}

// people says a count of people carefully: exact below 100 is too precise
// for estimates, so "fewer than 100"; then "about" with two significant
// figures ("about 3,200").
func people(n int64) string {
	switch {
	case n <= 0:
		return "no"
	case n < 100:
		return "fewer than 100"
	}
	mag := math.Pow(10, math.Floor(math.Log10(float64(n)))-1)
	return "about " + formatCount(int64(math.Round(float64(n)/mag)*mag))
}

func formatCount(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Sentences says what the report shows in plain English, most important
// first. They speak of neighbourhoods (LSOAs) and their centres, never of
// individual addresses.
func (r GapReport) Sentences() []string {
	t := r.Service
	area := r.Within.Name
	if area == "" {
		area = r.Within.Code
	}
	if r.Covered.LSOAs == 0 {
		return []string{fmt.Sprintf("No %s are loaded for %s, so its provision cannot be measured here.", t.Plural, area)}
	}
	who := "residents"
	if t.Children {
		who = "children aged 0-15"
	}
	var out []string
	dist := fmt.Sprintf("more than %s in a straight line from the nearest %s", t.Threshold(), t.Name)
	if r.Beyond.Population == 0 {
		out = append(out, fmt.Sprintf("No neighbourhood of %s has its centre %s.", area, dist))
	} else {
		of := "of"
		if t.Children {
			of = "in"
		}
		s := fmt.Sprintf("%s %s %s %s live in neighbourhoods whose centre is %s", capitalise(people(r.Beyond.Population)), who, of, area, dist)
		switch share := float64(r.BeyondNeed.Population) / float64(r.Beyond.Population); {
		case r.BeyondNeed.Population == 0:
			s += fmt.Sprintf("; none of those neighbourhoods are among the 20%% most deprived in England for %s.", NeedName(r.NeedDomain))
		case share >= 0.995:
			s += fmt.Sprintf("; all of them are in the 20%% most deprived neighbourhoods in England for %s.", NeedName(r.NeedDomain))
		default:
			s += fmt.Sprintf("; %s of them (%d%%) are in the 20%% most deprived neighbourhoods in England for %s.",
				people(r.BeyondNeed.Population), int(math.Round(share*100)), NeedName(r.NeedDomain))
		}
		out = append(out, s)
	}
	e, l := r.FlaggedEngland, r.FlaggedLA
	if e.LSOAs == 0 && l.LSOAs == 0 {
		out = append(out, fmt.Sprintf("None of the %d neighbourhoods of %s is both among the most deprived fifth for %s and among the furthest fifth from a %s, compared with England or with its local authority.",
			r.Covered.LSOAs, area, NeedName(r.NeedDomain), t.Name))
		return out
	}
	part := func(c GapCount, frame string) string {
		if c.LSOAs == 0 {
			return "none compared with " + frame
		}
		return fmt.Sprintf("%d (%s residents) compared with %s", c.LSOAs, people(c.Residents), frame)
	}
	out = append(out, fmt.Sprintf("High need, low provision for %s, of the %d neighbourhoods of %s: %s, and %s. These are among the most deprived fifth for %s and the furthest fifth from a %s.",
		t.Plural, r.Covered.LSOAs, area, part(e, "England"), part(l, "their local authority"), NeedName(r.NeedDomain), t.Name))
	return out
}

// CoverageNote says where the type is loaded, when that is not all of
// England, so "England" in the flags is read correctly.
func (r GapReport) CoverageNote() string {
	note := r.coverage()
	if r.NeedDomain != r.Service.NeedDomain {
		note = strings.TrimSpace(note + " " + capitalise(NeedName(r.Service.NeedDomain)) + " is not loaded (IoD2019 File 3), so need here is the overall Index of Multiple Deprivation.")
	}
	return note
}

func (r GapReport) coverage() string {
	n := len(r.CoveredLADs)
	if n == 0 {
		return fmt.Sprintf("No %s with a location are loaded.", r.Service.Plural)
	}
	if n >= 300 {
		return ""
	}
	las := "local authorities"
	if n == 1 {
		las = "local authority"
	}
	return fmt.Sprintf("%s are loaded with locations for %d %s only, so \"compared with England\" means compared with those %s neighbourhoods where distance is concerned; deprivation is always ranked against all of England.",
		capitalise(r.Service.Plural), n, las, formatCount(int64(r.CoveredLSOAsEn)))
}
