package dashboard

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"commonground/queries"
)

// Question is a suggested question for commissioners, drawn from one of the
// area's biggest differences from England.
type Question struct {
	Text, Because string
	ID            string // the indicator asked about
}

// Attribution is a dataset behind the briefing and what its licence asks.
type Attribution struct {
	Title, Publisher, Licence, Attribution string
}

func (s *Server) briefing(c echo.Context) error {
	a, err := s.loadArea(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	dep, err := s.deprivationProfile(ctx, a)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	m, err := s.areaMap(ctx, a)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	var results []queries.Result
	if s.cat != nil {
		results, err = s.cat.ForArea(ctx, s.db, a.Code)
		if err != nil {
			s.log.Error("indicators failed", "area", a.Code, "err", err)
		}
	}
	head, _, _ := s.indicatorRows(ctx, a.Code)
	head = neighbourhoodHeadline(a, head, dep)
	if len(head) > 8 {
		head = head[:8]
	}
	members := 0
	s.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM area_lsoas WHERE area_code = ? AND area_level = ?
		AND lsoa_vintage = (SELECT max(lsoa_vintage) FROM area_lsoas WHERE area_code = ? AND area_level = ?)`, a.Code, a.Level, a.Code, a.Level).Scan(&members)
	// Sources: the datasets behind what the briefing shows (its facts and
	// questions), not every indicator computed, so the page stays one A4.
	qs := questions(a, results)
	shown := map[string]bool{}
	for _, r := range head {
		shown[r.ID] = true
	}
	for _, q := range qs {
		shown[q.ID] = true
	}
	var used []queries.Result
	for _, r := range results {
		if shown[r.Indicator.ID] {
			used = append(used, r)
		}
	}
	money := s.moneyNeed(ctx, a)
	attrib, err := s.attributions(ctx, used, money != nil)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	base := s.cfg.BaseURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return c.Render(http.StatusOK, "briefing", page{Title: "Briefing: " + a.Name, Synthetic: a.Synthetic,
		Description: "A printable briefing on " + a.Name + " for meetings with commissioners.",
		Data: map[string]any{"Area": a, "Facts": head, "Spine": spineByID(s.spineFor(ctx, head)), "Deprivation": dep, "Map": m, "Members": members,
			"Questions": qs, "Gaps": s.areaGaps(ctx, a), "Caveats": caveats(results, head), "Sources": attrib, "Attributions": uniqueAttributions(attrib),
			"MoneyNeed": money, "Briefing": true,
			"Date": time.Now().Format("2 January 2006"), "Permalink": base + "/areas/" + a.Code + "/briefing"}})
}

// questions turns the largest significant differences from England in the
// wrong direction into questions a resident can ask.
func questions(a Area, rs []queries.Result) []Question {
	type cand struct {
		r   queries.Result
		gap float64
	}
	var cs []cand
	for _, r := range rs {
		if r.Status != queries.StatusOK || r.England == nil || r.England.Status != queries.StatusOK || r.England.Note != "" || r.England.Value == 0 {
			continue
		}
		gap := math.Abs(r.Value-r.England.Value) / math.Abs(r.England.Value)
		worse := r.England.Judgement == queries.JudgeWorse
		// Without an interval (a share of whole neighbourhoods, say) only a
		// large gap in the worse direction counts.
		if r.England.Judgement == queries.JudgeNotCompared && gap >= 0.25 {
			worse = (r.Indicator.Polarity == queries.HigherIsWorse && r.Value > r.England.Value) ||
				(r.Indicator.Polarity == queries.HigherIsBetter && r.Value < r.England.Value)
		}
		if worse {
			cs = append(cs, cand{r, gap})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].gap > cs[j].gap })
	var qs []Question
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.r.Indicator.ID[:min(7, len(c.r.Indicator.ID))]] && len(cs) > 3 {
			continue // one question per theme (imd2019, imd2025, …) where we can
		}
		seen[c.r.Indicator.ID[:min(7, len(c.r.Indicator.ID))]] = true
		here := queries.FormatValue(c.r.Indicator.Unit, c.r.Value)
		eng := queries.FormatValue(c.r.Indicator.Unit, c.r.England.Value)
		qs = append(qs, Question{
			Text:    fmt.Sprintf("%s: %s here against %s across England.", c.r.Indicator.Title, here, eng),
			Because: c.r.Sentence,
			ID:      c.r.Indicator.ID,
		})
		if len(qs) == 3 {
			break
		}
	}
	return qs
}

func caveats(rs []queries.Result, shown []IndicatorRow) []string {
	ids := map[string]bool{}
	for _, r := range shown {
		ids[r.ID] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		if !ids[r.Indicator.ID] {
			continue
		}
		for _, c := range append(append([]string{}, r.Caveats...), r.Indicator.Caveats...) {
			if !seen[c] && len(out) < 3 {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// attributions lists the datasets behind rs, the map and deprivation
// charts, and (with money) the money section's spending and grants.
func (s *Server) attributions(ctx context.Context, rs []queries.Result, money bool) ([]Attribution, error) {
	used := map[string]bool{}
	for _, r := range rs {
		if r.Status != queries.StatusOK {
			continue
		}
		for _, p := range r.Provenance {
			used[p.Dataset] = true
		}
	}
	for _, d := range []string{"boundaries-lsoa11", "boundaries-lsoa21", "imd2019", "imd2025"} {
		used[d] = true
	}
	if money {
		used["spending"], used["grants"] = true, true
	}
	// Services indicators cite every services list ("* (services)"): keep
	// the lists of the kinds of service shown (the indicators' and the gaps
	// section's GP practices, pharmacies and schools).
	kinds := map[string]bool{"gp_practice": true, "pharmacy": true, "school": true}
	for _, r := range rs {
		for key, kind := range indicatorServices {
			if strings.Contains(r.Indicator.ID, key) {
				kinds[kind] = true
			}
		}
	}
	pairs, err := s.serviceDatasets(ctx)
	if err != nil {
		return nil, fmt.Errorf("attributions: %w", err)
	}
	services := map[string]bool{} // services datasets, and whether a kind shown is in them
	for _, p := range pairs {
		services[p[0]] = services[p[0]] || kinds[p[1]]
	}
	for ds, shown := range services {
		if used[ds] && !shown {
			delete(used, ds)
		}
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT d.id, d.title, coalesce(d.publisher, ''), coalesce(d.licence, ''), coalesce(d.attribution, '')
		FROM datasets d WHERE EXISTS (SELECT 1 FROM ingest_runs r WHERE r.dataset = d.id AND r.status = 'ok') ORDER BY d.title`)
	if err != nil {
		return nil, fmt.Errorf("attributions: %w", err)
	}
	defer rows.Close()
	var out []Attribution
	for rows.Next() {
		var id string
		var a Attribution
		if err := rows.Scan(&id, &a.Title, &a.Publisher, &a.Licence, &a.Attribution); err != nil {
			return nil, err
		}
		if used[id] {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

// serviceDatasets lists the (dataset, category) pairs of the services
// table, once per data version.
func (s *Server) serviceDatasets(ctx context.Context) ([][2]string, error) {
	return cachedPinned(ctx, s, "service-datasets", func(ctx context.Context) ([][2]string, error) {
		var out [][2]string
		if ok, err := hasTable(ctx, s.db, "services"); err != nil || !ok {
			return nil, err
		}
		err := scanRows(ctx, s.db.SQL(), `SELECT dataset, category FROM services GROUP BY ALL`, func(r *sql.Rows) error {
			var p [2]string
			err := r.Scan(&p[0], &p[1])
			out = append(out, p)
			return err
		})
		return out, err
	})
}

// indicatorServices maps words of indicator ids to the services they count.
var indicatorServices = map[string]string{"gp": "gp_practice", "pharmac": "pharmacy", "school": "school",
	"childrens_centre": "childrens_centre", "food_bank": "food_bank", "librar": "library"}

// uniqueAttributions lists each required attribution text once, sentence
// by sentence: most datasets repeat "Contains public sector information
// licensed under the Open Government Licence v3.0.", which once is enough
// (and the briefing must fit on one A4 page).
func uniqueAttributions(as []Attribution) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range as {
		var keep []string
		for _, s := range strings.SplitAfter(a.Attribution, ". ") {
			if s = strings.TrimSpace(s); s != "" && !seen[s] {
				seen[s] = true
				keep = append(keep, s)
			}
		}
		if len(keep) > 0 {
			out = append(out, strings.Join(keep, " "))
		}
	}
	return out
}
