package queries

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// expireVersionChecks makes the next call read every warehouse's version,
// as it will once versionTTL has passed.
func expireVersionChecks() {
	warehouses.Lock()
	defer warehouses.Unlock()
	for _, st := range warehouses.m {
		st.mu.Lock()
		st.checked = time.Time{}
		st.mu.Unlock()
	}
}

// The geography index answers resolve, members and names as the per-call
// SQL did (areaindex_oracle_test.go), member order included where the SQL
// had a defined one (sums over floats depend on it), for areas of every
// level on the real data.
func TestAreaIndexMatchesSQL(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ch, err := c.cacheFor(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	geo, err := ch.geography(ctx)
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{
		"E08000009",     // Trafford: lsoa11, lsoa21 and ward boundaries
		"E06000009",     // Blackpool: lsoa11 only
		"E05000820",     // a Trafford ward
		"E01012673",     // an LSOA
		"E01006074",     // a Trafford LSOA in custom areas
		EnglandCode,     // England
		customTrafford,  // custom areas
		customBlackpool, //
		"E09000001",     // City of London
		"E99999999",     // none
		"",              //
	}
	// An MSOA, a ward known only from the lookup, and an LSOA 2021 that is
	// not a 2011 code.
	for _, q := range []string{
		`SELECT min(area_code) FROM area_lsoas WHERE area_level = 'msoa21'`,
		`SELECT min(area_code) FROM area_lsoas WHERE area_level = 'ward' AND area_code NOT IN (SELECT code FROM areas)`,
		`SELECT min(code) FROM areas WHERE level = 'lsoa21' AND code NOT IN (SELECT code FROM areas WHERE level = 'lsoa11')`,
	} {
		codes = append(codes, one[string](t, db, q))
	}
	for _, code := range codes {
		want, werr := ch.resolveSQL(ctx, code, geo)
		got, gerr := ch.resolve(ctx, code, geo)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Errorf("resolve %q: error %v, want %v", code, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("resolve %q:\n got %+v\nwant %+v", code, got, want)
		}
	}
	for _, within := range codes {
		for _, level := range levels {
			for _, v := range []int{2011, 2021} {
				want, err := ch.membersSQL(ctx, level, v, within)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ch.members(ctx, level, v, within)
				if err != nil {
					t.Fatal(err)
				}
				if within != "" {
					// The old self-join returned an area's LSOAs in hash
					// join order, not always scan order (the index's, and
					// that of the England-wide query): compare as sets.
					got, want = sortedMembers(got), sortedMembers(want)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("members %s %d within %q: %d areas, want %d", level, v, within, len(got), len(want))
					for code, m := range want {
						if !reflect.DeepEqual(got[code], m) {
							t.Errorf("  %s: %d LSOAs, want %d", code, len(got[code]), len(m))
							break
						}
					}
				}
			}
		}
	}
	for _, level := range levels {
		want, err := ch.namesSQL(ctx, level, geo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ch.names(ctx, level, geo)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			n := 0
			for code, w := range want {
				if got[code] != w && n < 5 {
					t.Errorf("names %s %s: %q, want %q", level, code, got[code], w)
					n++
				}
			}
			t.Errorf("names %s: %d, want %d", level, len(got), len(want))
		}
	}
}

// Values within an authority lists the areas the SQL membership does,
// named, each with its LSOAs.
func TestValuesWithinMatchesMembers(t *testing.T) {
	db := realDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	vs, err := c.Values(ctx, db, "imd2019_score", "ward", "E08000009")
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := c.cacheFor(ctx, db)
	want, err := ch.membersSQL(ctx, LevelWard, 2011, "E08000009")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(want) {
		t.Fatalf("%d Trafford wards, want %d", len(vs), len(want))
	}
	for _, v := range vs {
		if v.Members != len(want[v.Area.Code]) || v.Area.Name == "" {
			t.Errorf("%s %q: %d members, want %d", v.Area.Code, v.Area.Name, v.Members, len(want[v.Area.Code]))
		}
	}
}

// The version is read at most every versionTTL; Invalidate (and Reset)
// make the next call read it, and the data, again.
func TestVersionTTLAndInvalidate(t *testing.T) {
	db := fixtureDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	count := func() float64 {
		rs, err := c.ForArea(t.Context(), db, "E09000002", "gp_practices_per_10k")
		if err != nil {
			t.Fatal(err)
		}
		return rs[0].Numerator
	}
	if n := count(); n != 1 {
		t.Fatalf("%v practices, want 1", n)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO services (id, dataset, category, source_id, lon, lat, location_source, status, lsoa11_code)
		VALUES ('gp-practices:A9', 'gp-practices', 'gp_practice', 'A9', 1.0, 51.01, 'given', 'open', 'E01000003');
		INSERT INTO ingest_runs (run_id, dataset, started_at, finished_at, status) VALUES (1, 'gp-practices', now(), now(), 'ok')`); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("within versionTTL the version is not read again: %v practices, want 1", n)
	}
	Invalidate(db)
	if n := count(); n != 2 {
		t.Fatalf("after Invalidate: %v practices, want 2", n)
	}
}

// An area written without an ingest run (a custom area saved by this or
// another process) is found at once: an area the index lacks is looked
// for in the warehouse, and the index read again when it is there.
func TestNewAreaWithoutRunIsFound(t *testing.T) {
	db := fixtureDB(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	const code = "X00000099"
	if _, err := c.ForArea(t.Context(), db, code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before: %v, want ErrNotFound", err)
	}
	if _, err := Gaps(t.Context(), db, "gp", code); !errors.Is(err, ErrNoArea) {
		t.Fatalf("gaps before: %v, want ErrNoArea", err)
	}
	if _, err := db.SQL().ExecContext(t.Context(), `INSERT INTO areas (code, name, level, vintage) VALUES ('X00000099', 'New area', 'custom', 2024);
		INSERT INTO area_members VALUES ('X00000099', 'custom', 'E01000003', 2011, 1500, 1, 'best_fit_centroid')`); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ForArea(t.Context(), db, code, "gp_practices_per_10k")
	if err != nil {
		t.Fatal(err)
	}
	if r := rs[0]; r.Area.Name != "New area" || r.Members != 1 || r.Parent == nil || r.Parent.Area.Code != "E09000002" {
		t.Errorf("new area: %+v", r)
	}
	rep, err := Gaps(t.Context(), db, "gp", code)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Within.Name != "New area" || rep.LSOAs != 1 {
		t.Errorf("gaps: %+v", rep.Within)
	}
}

// Gaps from memory is Gaps by SQL (the oracle, gapreport_oracle_test.go)
// for areas of every kind, every service type, on Greater Manchester's
// real data.
func TestGapsMatchesSQL(t *testing.T) {
	db := gmDB(t)
	ctx := t.Context()
	// A custom area of Trafford and Manchester LSOAs, written without an
	// ingest run (so it also checks that a new area is found at once).
	const custom = "X00000077"
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO areas (code, name, level, vintage, dataset) VALUES ('X00000077', 'Gaps test area', 'custom', 2024, 'test');
		INSERT INTO area_members SELECT 'X00000077', 'custom', code, vintage, population, NULL, 'best_fit_centroid'
		FROM areas WHERE level = 'lsoa11' AND code IN ('E01006074', 'E01006075', 'E01006076', 'E01005062')`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.SQL().Exec(`DELETE FROM area_members WHERE area_code = 'X00000077'; DELETE FROM areas WHERE code = 'X00000077'`)
		Invalidate(db)
	})
	areas := []string{
		"E08000009",   // Trafford: covered for every type
		"E08000003",   // Manchester
		"E08000001",   // Bolton
		"E05000820",   // a Trafford ward (from the lookup: no ward boundaries here)
		"E01006074",   // a Trafford LSOA
		custom,        // a custom area
		EnglandCode,   // England
		" e08000009 ", // spacing and case
		"E06000009",   // Blackpool: not in this warehouse
		"NOPE",
	}
	for _, code := range areas {
		for _, st := range ServiceTypes {
			want, werr := gapsSQL(ctx, db, st.Key, code)
			got, gerr := Gaps(ctx, db, st.Key, code)
			if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
				t.Errorf("%s in %q: error %v, want %v", st.Key, code, gerr, werr)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s in %q:\n got %s\nwant %s", st.Key, code, gapSummary(got), gapSummary(want))
			}
		}
	}
	if _, err := Gaps(ctx, db, "launderette", "E08000009"); !errors.Is(err, ErrUnknownService) {
		t.Errorf("unknown service: %v", err)
	}
}

func sortedMembers(m map[string][]int32) map[string][]int32 {
	out := make(map[string][]int32, len(m))
	for code, l := range m {
		l = slices.Clone(l)
		slices.Sort(l)
		out[code] = l
	}
	return out
}

func gapSummary(r GapReport) string {
	km, per := "nil", "nil"
	if r.MeanKm != nil {
		km, per = fmt.Sprint(*r.MeanKm), fmt.Sprint(*r.Per10k)
	}
	return fmt.Sprintf("%+v lsoas=%d covered=%+v lads=%d en=%d services=%d km=%s per10k=%s beyond=%+v flagged=%+v rows=%d need=%s",
		r.Within, r.LSOAs, r.Covered, len(r.CoveredLADs), r.CoveredLSOAsEn, r.Services, km, per, r.Beyond, r.FlaggedEither, len(r.Rows), r.NeedDomain)
}
