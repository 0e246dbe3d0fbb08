package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"commonground/queries"
)

// headline lists the indicators shown first on a profile, in order; the
// rest follow under "All indicators".
var headline = []string{
	"imd2025_most_deprived_10pc", "imd2019_most_deprived_10pc", "imd2019_income_most_deprived_10pc",
	"imd2019_health_most_deprived_10pc", "imd2019_idaci_most_deprived_10pc", "population_aged_0_15",
	"population_aged_65_plus", "gp_practices_per_10k", "distance_gp_km", "food_banks_per_10k",
	"council_spending_per_head", "grants_per_head",
}

// IndicatorRow is one indicator as a profile shows it.
type IndicatorRow struct {
	ID, Title, Definition, Unit string
	Value, Parent, England      string
	ParentName                  string
	Judgement, RAG, Sentence    string
	Caveats                     []string
	// Notes numbers Caveats in the profile's list of notes, which
	// shows each caveat once however many indicators share it.
	Notes                         []int
	Sources                       string
	HasValue, Headline            bool
	Significance, ParentJudgement string
	// JudgementText reads the England comparison in words ("worse than England").
	JudgementText string
	// The raw figures behind Value, Parent and England, for charts.
	Num, ParentNum, EnglandNum float64
	HasParent, HasEngland      bool
	Polarity                   queries.Polarity
}

var judgementText = map[queries.Judgement]string{
	queries.JudgeBetter: "Better than England", queries.JudgeWorse: "Worse than England",
	queries.JudgeSimilar: "Similar to England", queries.JudgeHigher: "Higher than England", queries.JudgeLower: "Lower than England",
}

func formatEstimate(u queries.Unit, e queries.Estimate) string {
	switch e.Status {
	case queries.StatusOK:
		s := queries.FormatValue(u, e.Value)
		if e.Small {
			s = "about " + s
		}
		return s
	case "":
		return "–"
	}
	return string(e.Status)
}

func (s *Server) indicatorRows(ctx context.Context, code string) ([]IndicatorRow, []IndicatorRow, error) {
	if s.cat == nil {
		return nil, nil, nil
	}
	res, err := s.cat.ForArea(ctx, s.db, code)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]IndicatorRow{}
	var all []IndicatorRow
	for _, r := range res {
		if r.Status == queries.StatusNotAvailable {
			continue
		}
		row := IndicatorRow{ID: r.Indicator.ID, Title: r.Indicator.Title, Definition: r.Indicator.Definition,
			Unit: string(r.Indicator.Unit), Value: formatEstimate(r.Indicator.Unit, r.Estimate), Sentence: r.Sentence,
			Caveats: r.Caveats, HasValue: r.Status == queries.StatusOK, RAG: string(queries.Grey),
			Num: r.Value, Polarity: r.Indicator.Polarity}
		if r.England != nil {
			row.England = formatEstimate(r.Indicator.Unit, r.England.Estimate)
			row.Judgement, row.RAG = string(r.England.Judgement), string(r.England.RAG)
			row.Significance = string(r.England.Significance)
			row.JudgementText = judgementText[r.England.Judgement]
			row.EnglandNum, row.HasEngland = r.England.Value, r.England.Status == queries.StatusOK
		}
		if r.Parent != nil {
			row.Parent = formatEstimate(r.Indicator.Unit, r.Parent.Estimate)
			row.ParentName = r.Parent.Area.Name
			row.ParentJudgement = string(r.Parent.Judgement)
			row.ParentNum, row.HasParent = r.Parent.Value, r.Parent.Status == queries.StatusOK
		}
		var srcs []string
		for _, p := range r.Provenance {
			t := p.Title
			if t == "" {
				t = p.Dataset
			}
			if !p.LoadedAt.IsZero() {
				t += ", loaded " + p.LoadedAt.Local().Format("2 Jan 2006")
			}
			srcs = append(srcs, t)
		}
		row.Sources = strings.Join(srcs, "; ")
		byID[row.ID] = row
		all = append(all, row)
	}
	var head []IndicatorRow
	for _, id := range headline {
		if r, ok := byID[id]; ok && r.HasValue {
			r.Headline = true
			head = append(head, r)
		}
	}
	return head, all, nil
}

// numberNotes sets each row's Notes to the 1-based positions of its
// caveats in the list notes returns.
func numberNotes(rows []IndicatorRow) []string {
	var notes []string
	seen := map[string]int{}
	for i := range rows {
		rows[i].Notes = nil
		for _, c := range rows[i].Caveats {
			n, ok := seen[c]
			if !ok {
				notes = append(notes, c)
				n = len(notes)
				seen[c] = n
			}
			rows[i].Notes = append(rows[i].Notes, n)
		}
	}
	return notes
}

func (s *Server) apiAreaIndicators(c echo.Context) error {
	a, err := s.loadArea(c)
	if err != nil {
		return err
	}
	if s.cat == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Indicators are not available.")
	}
	res, err := s.cat.ForArea(c.Request().Context(), s.db, a.Code)
	if err != nil {
		return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	if c.QueryParam("format") == "csv" {
		return writeResultsCSV(c, a.Code, res)
	}
	return c.JSON(http.StatusOK, map[string]any{"area": map[string]string{"code": a.Code, "name": a.Name, "level": a.Level},
		"synthetic": a.Synthetic, "indicators": res})
}

func writeResultsCSV(c echo.Context, code string, res []queries.Result) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-indicators.csv"`, code))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.Write([]string{"indicator", "title", "unit", "status", "value", "numerator", "denominator", "ci95_low", "ci95_high",
		"parent_code", "parent_value", "england_value", "england_significance", "judgement", "rag", "sentence", "sources"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, r := range res {
		lo, hi := "", ""
		if r.CI95 != nil {
			lo, hi = f(r.CI95.Lower), f(r.CI95.Upper)
		}
		pc, pv, ev, sig, j, rag := "", "", "", "", "", ""
		if r.Parent != nil {
			pc, pv = r.Parent.Area.Code, f(r.Parent.Value)
		}
		if r.England != nil {
			sig, j, rag = string(r.England.Significance), string(r.England.Judgement), string(r.England.RAG)
			if r.England.Status == queries.StatusOK {
				ev = f(r.England.Value)
			}
		}
		var srcs []string
		for _, p := range r.Provenance {
			srcs = append(srcs, p.Dataset)
		}
		w.Write([]string{r.Indicator.ID, r.Indicator.Title, string(r.Indicator.Unit), string(r.Status), f(r.Value), f(r.Numerator),
			f(r.Denominator), lo, hi, pc, pv, ev, sig, j, rag, r.Sentence, strings.Join(srcs, " ")})
	}
	w.Flush()
	return w.Error()
}

func (s *Server) apiIndicator(c echo.Context) error {
	if s.cat == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Indicators are not available.")
	}
	id := c.Param("id")
	ind, err := s.cat.Indicator(id)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, err.Error())
	}
	level := c.QueryParam("level")
	if level == "" {
		level = "lad"
	}
	vals, err := s.cat.Values(c.Request().Context(), s.db, id, level, c.QueryParam("within"))
	if err != nil {
		if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "unknown") || strings.Contains(err.Error(), "no ") {
			return echo.NewHTTPError(http.StatusNotFound, err.Error())
		}
		return echo.NewHTTPError(http.StatusBadRequest, err.Error()).WithInternal(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"indicator": ind, "level": level, "within": c.QueryParam("within"), "values": vals})
}

func (s *Server) apiIndicators(c echo.Context) error {
	if s.cat == nil {
		return c.JSON(http.StatusOK, []any{})
	}
	return c.JSON(http.StatusOK, s.cat.Indicators())
}

// neighbourhoodHeadline rewords a single neighbourhood's (LSOA's)
// deprivation facts. "0% of residents live in the 10% most deprived" is
// all or nothing for one LSOA, and reads as "not deprived" for one in
// decile 2 or 3: it says which tenth of England's neighbourhoods the LSOA
// is in instead, and leaves the domain shares to "All indicators".
func neighbourhoodHeadline(a Area, head []IndicatorRow, dep []Deprivation) []IndicatorRow {
	if a.Level != "lsoa11" && a.Level != "lsoa21" {
		return head
	}
	decile := map[int]int{} // edition -> decile
	for _, d := range dep {
		if d.LSOAs != 1 {
			continue
		}
		for _, r := range d.Rows {
			if r.Share > 0.5 {
				decile[d.Edition] = r.Decile
			}
		}
	}
	var out []IndicatorRow
	for _, r := range head {
		var edition int
		switch r.ID {
		case "imd2025_most_deprived_10pc":
			edition = 2025
		case "imd2019_most_deprived_10pc":
			edition = 2019
		case "imd2019_income_most_deprived_10pc", "imd2019_health_most_deprived_10pc", "imd2019_idaci_most_deprived_10pc":
			continue
		default:
			out = append(out, r)
			continue
		}
		d, ok := decile[edition]
		if !ok {
			continue
		}
		among := fmt.Sprintf("among the %d%% most deprived", d*10)
		if d > 5 {
			among = fmt.Sprintf("among the %d%% least deprived", (11-d)*10)
		}
		out = append(out, IndicatorRow{ID: r.ID, Title: fmt.Sprintf("Deprivation decile (IMD %d)", edition),
			Definition: "Which tenth of England's neighbourhoods (LSOAs) this is in on the Index of Multiple Deprivation; 1 is the most deprived 10%.",
			Value:      fmt.Sprintf("%d of 10", d), RAG: "grey", HasValue: true, Headline: true, Sources: r.Sources, Caveats: r.Caveats, Notes: r.Notes,
			Sentence: fmt.Sprintf("%s is in decile %d of England's neighbourhoods on the Index of Multiple Deprivation %d: %s (decile 1 is the most deprived 10%%).",
				a.Name, d, edition, among)})
	}
	return out
}
