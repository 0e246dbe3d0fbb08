package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
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
// It is answered from memory: service_access and the geography are read
// once per warehouse version (see Invalidate).
func Gaps(ctx context.Context, db *warehouse.DB, service, within string) (GapReport, error) {
	t, ok := ServiceTypeByKey(service)
	if !ok {
		return GapReport{}, fmt.Errorf("%w %q", ErrUnknownService, service)
	}
	rep := GapReport{Service: t, PopulationGroup: t.PopulationGroup(), NeedDomain: t.NeedDomain}
	within = strings.ToUpper(strings.TrimSpace(within))
	sh, err := sharedFor(ctx, db)
	if err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	ix, err := sh.areaIndex(ctx)
	if err != nil {
		return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
	}
	area, found := ix.gapArea(within)
	if !found {
		// Written since the index was read, without a new ingest run?
		ok, err := gapAreaInWarehouse(ctx, db, within)
		if err != nil {
			return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
		}
		if !ok {
			return rep, fmt.Errorf("%w %q", ErrNoArea, within)
		}
		sh.refreshAreas()
		if ix, err = sh.areaIndex(ctx); err != nil {
			return rep, fmt.Errorf("gaps %s in %s: %w", t.Key, within, err)
		}
		if area, found = ix.gapArea(within); !found {
			return rep, fmt.Errorf("%w %q", ErrNoArea, within)
		}
	}
	rep.Within = area
	gi, err := sh.gapIndex(ctx, t.Key)
	if err != nil {
		return rep, fmt.Errorf("gaps %s: %w", t.Key, err)
	}
	rep.CoveredLADs = append([]string(nil), gi.lads...)
	rep.CoveredLSOAsEn = gi.coveredEn
	lsoas := ix.sets[setKey{area.Level, 2011}][area.Code]
	rep.LSOAs = len(lsoas)
	var sumKm, sumW float64
	if len(gi.rows) > 0 {
		n := 0
		for _, l := range lsoas {
			n += len(gi.rows[l])
		}
		if n > 0 {
			rep.Rows = make([]GapRow, 0, n)
		}
		for _, n := range lsoas {
			for _, g := range gi.rows[n] {
				r := g.expand(ix)
				rep.NeedDomain = g.needDomain
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
		}
	}
	if sumW > 0 {
		km := sumKm / sumW
		per := float64(rep.Services) / sumW * 10000
		rep.MeanKm, rep.Per10k = &km, &per
	}
	sortGapRows(rep.Rows)
	return rep, nil
}

// sortGapRows ranks a report's rows: flagged in both frames first, then
// in either, then by distance, furthest first. (It sorts small keys, then
// moves each row once: rows are large.)
func sortGapRows(rows []GapRow) {
	type key struct {
		rank int8
		km   float64
		lsoa string
		i    int32
	}
	keys := make([]key, len(rows))
	for i := range rows {
		r := &rows[i]
		k := key{rank: 2, km: r.NearestKm, lsoa: r.LSOA, i: int32(i)}
		switch {
		case r.FlagEngland && r.FlagLA:
			k.rank = 0
		case r.Flagged():
			k.rank = 1
		}
		keys[i] = k
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.rank != b.rank {
			return int(a.rank) - int(b.rank)
		}
		if a.km != b.km {
			if a.km > b.km {
				return -1
			}
			return 1
		}
		return strings.Compare(a.lsoa, b.lsoa)
	})
	sorted := make([]GapRow, len(rows))
	for k, key := range keys {
		sorted[k] = rows[key.i]
	}
	copy(rows, sorted)
}

// gapArea names the area a report is for: its areas row (a local
// authority first, then a custom area, a ward, an LSOA 2011, then any;
// newest vintage first), else England, else a ward of the LSOA lookup
// whose boundaries are not loaded (an area made of LSOAs all the same).
func (ix *areaIndex) gapArea(code string) (GapArea, bool) {
	e := ix.entries[code]
	if e != nil && e.gap != nil {
		return GapArea{Code: code, Name: e.gap.name.String, Level: e.gap.level}, true
	}
	if code == EnglandCode {
		return GapArea{Code: EnglandCode, Name: "England", Level: "country"}, true
	}
	if e != nil {
		for _, m := range e.members {
			if len(ix.sets[setKey{LevelWard, m.vintage}][code]) > 0 {
				return GapArea{Code: code, Name: ix.lookupWard[code], Level: "ward"}, true
			}
		}
	}
	return GapArea{}, false
}

func gapAreaInWarehouse(ctx context.Context, db *warehouse.DB, code string) (bool, error) {
	return areaInWarehouse(ctx, db, code, LevelWard)
}

// gapIndex is one service type's service_access rows, with their names and
// centres joined, by LSOA (2011) code number.
type gapIndex struct {
	lads      []string // covered local authorities, sorted (NULL last, as "")
	coveredEn int
	rows      map[int32][]gapIndexRow
}

// gapIndexRow is a service_access row, packed (names and centres are
// looked up in the geography index when a report is made).
type gapIndexRow struct {
	km                   float64
	population, resident int64
	lsoa, lad            string
	needDomain           string
	lsoa11               int32 // the LSOA's code number
	within, inLSOA       int32
	needRank, needDecile int32
	imdDecile, needRankL int32
	lsoasLA, accessRank  int32
	covered, accessRankL int32
	flags                uint8
}

const (
	gapBeyond = 1 << iota
	gapNeedWorstEngland
	gapNeedWorstLA
	gapAccessWorstEngland
	gapAccessWorstLA
	gapFlagEngland
	gapFlagLA
)

// expand is the report row, as the old join made it: the LSOA's name,
// ward and centre from its first lsoa11 areas row, the ward's name from
// the ward boundaries else the lookup, the authority's from its boundary.
func (g *gapIndexRow) expand(ix *areaIndex) GapRow {
	r := GapRow{LSOA: g.lsoa, LADCode: g.lad, NearestKm: g.km, Within: int(g.within), InLSOA: int(g.inLSOA),
		Population: g.population, Residents: g.resident,
		NeedRank: int(g.needRank), NeedDecile: int(g.needDecile), IMDDecile: int(g.imdDecile), NeedRankLA: int(g.needRankL),
		LSOAsLA: int(g.lsoasLA), AccessRank: int(g.accessRank), LSOAsCovered: int(g.covered), AccessRankLA: int(g.accessRankL),
		Beyond: g.flags&gapBeyond != 0, NeedWorstEngland: g.flags&gapNeedWorstEngland != 0, NeedWorstLA: g.flags&gapNeedWorstLA != 0,
		AccessWorstEng: g.flags&gapAccessWorstEngland != 0, AccessWorstLA: g.flags&gapAccessWorstLA != 0,
		FlagEngland: g.flags&gapFlagEngland != 0, FlagLA: g.flags&gapFlagLA != 0}
	if a, ok := ix.lsoas[lsoaKey{g.lsoa11, LevelLSOA11}]; ok {
		r.Name, r.WardCode, r.Lon, r.Lat = a.name, a.ward, a.lon, a.lat
		if a.hasWard {
			if w, ok := ix.firstName[LevelWard][a.ward]; ok {
				r.WardName = w
			} else {
				r.WardName = ix.lookupWard[a.ward]
			}
		}
	}
	r.LADName = ix.firstName[LevelLAD][g.lad]
	return r
}

// gapIndex returns a service type's gaps index, reading it on first use.
func (s *shared) gapIndex(ctx context.Context, service string) (*gapIndex, error) {
	s.mu.Lock()
	l, ok := s.gaps[service]
	if !ok {
		l = &lazy[*gapIndex]{}
		s.gaps[service] = l
	}
	areas := s.areas
	s.mu.Unlock()
	ix, err := areas.get(ctx, s.loadAreas)
	if err != nil {
		return nil, err
	}
	return l.get(ctx, func(ctx context.Context) (*gapIndex, error) { return s.loadGaps(ctx, ix, service) })
}

func (s *shared) loadGaps(ctx context.Context, ix *areaIndex, service string) (*gapIndex, error) {
	gi := &gapIndex{rows: map[int32][]gapIndexRow{}}
	var codes []string
	var rows []gapIndexRow
	strs := map[string]string{} // one copy of each authority code and need domain
	canon := func(s string) string {
		if c, ok := strs[s]; ok {
			return c
		}
		strs[s] = s
		return s
	}
	lads := map[string]bool{}
	var nullLAD bool
	err := scanEach(ctx, s.db, `
		SELECT lsoa11_code, lad_code, nearest_km, services_within, services_in_lsoa, coalesce(population, 0), coalesce(residents, 0), beyond_threshold,
		       coalesce(need_rank, 0), coalesce(need_decile, 0), coalesce(imd_decile, 0), coalesce(need_rank_la, 0), coalesce(lsoas_la, 0),
		       access_rank, lsoas_covered, access_rank_la, need_worst20_england, need_worst20_la,
		       access_worst20_england, access_worst20_la, flag_england, flag_la, need_domain
		FROM service_access WHERE service = $1`,
		func(rs *sql.Rows) error {
			var g gapIndexRow
			var lad sql.NullString
			var flags [7]bool
			if err := rs.Scan(&g.lsoa, &lad, &g.km, &g.within, &g.inLSOA, &g.population, &g.resident, &flags[0],
				&g.needRank, &g.needDecile, &g.imdDecile, &g.needRankL, &g.lsoasLA,
				&g.accessRank, &g.covered, &g.accessRankL, &flags[1], &flags[2],
				&flags[3], &flags[4], &flags[5], &flags[6], &g.needDomain); err != nil {
				return err
			}
			for i, f := range flags {
				if f {
					g.flags |= 1 << i
				}
			}
			g.lad, g.needDomain = canon(lad.String), canon(g.needDomain)
			if e, ok := ix.entries[g.lsoa]; ok {
				g.lsoa = e.code
			}
			if lad.Valid {
				lads[g.lad] = true
			} else {
				nullLAD = true
			}
			gi.coveredEn = max(gi.coveredEn, int(g.covered))
			codes, rows = append(codes, g.lsoa), append(rows, g)
			return nil
		}, service)
	if err != nil {
		return nil, fmt.Errorf("gaps index %s: %w", service, err)
	}
	for c := range lads {
		gi.lads = append(gi.lads, c)
	}
	sort.Strings(gi.lads)
	if nullLAD {
		gi.lads = append(gi.lads, "")
	}
	for i, n := range s.intern(codes) {
		rows[i].lsoa11 = n
		gi.rows[n] = append(gi.rows[n], rows[i])
	}
	return gi, nil
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
