package dashboard

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"commonground/queries"
)

// Money against need (issue 7): /money and /api/money, and the short
// comparison the profile and briefing include (partials/money_section.html).

// MoneyNeed is what the money_section partial shows for one area.
type MoneyNeed struct {
	Report *queries.MoneyReport
	// Row is the area's own line (a ward or custom area); nil for an
	// authority.
	Row       *queries.MoneyArea
	Area      Area
	Link      string
	Sentence  string
	Unmapped  string
	LADSpend  float64 // the authority's spend per head with local suppliers
	LADGrants float64 // and grants per head
}

func (s *Server) moneyPage(c echo.Context) error {
	ctx := c.Request().Context()
	within := strings.ToUpper(strings.TrimSpace(c.QueryParam("within")))
	level := strings.ToLower(strings.TrimSpace(c.QueryParam("level")))
	if level == "" {
		level = queries.LevelWard
	}
	if within == "" {
		lads, err := s.moneyAuthorities(ctx)
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
		}
		return c.Render(http.StatusOK, "money", page{Title: "Money against need",
			Description: "Council spending and grants per head against deprivation, by ward and community area.",
			Data:        map[string]any{"Authorities": lads}})
	}
	r, err := s.moneyReport(ctx, within, level)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "money", page{Title: "Money against need: " + r.Within.Name,
		Description: "Council spending with local suppliers and grants per head against deprivation in " + r.Within.Name + ".",
		Data: map[string]any{"Report": r, "Sentence": r.Sentence(), "Unmapped": r.UnmappedSentence(),
			"Query": "within=" + within + "&level=" + level}})
}

// moneyReport runs the report and turns bad parameters into 400/404 pages.
func (s *Server) moneyReport(ctx context.Context, within, level string) (*queries.MoneyReport, error) {
	r, err := queries.Money(ctx, s.db, within, level)
	switch {
	case errors.Is(err, queries.ErrBadRequest):
		return nil, echo.NewHTTPError(http.StatusBadRequest, strings.TrimPrefix(err.Error(), "bad request: ")+
			". Try /money?within=E08000009&level=ward.")
	case errors.Is(err, queries.ErrNotFound):
		return nil, echo.NewHTTPError(http.StatusNotFound, "We could not find a local authority with the code \""+within+"\".")
	case err != nil:
		return nil, echo.NewHTTPError(http.StatusInternalServerError).WithInternal(err)
	}
	return r, nil
}

// moneyAuthorities lists the authorities with council spending or grants loaded.
func (s *Server) moneyAuthorities(ctx context.Context) ([]AreaRef, error) {
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT a.code, a.name, a.level, coalesce(a.population, 0) FROM areas a
		WHERE a.level = 'lad' AND (a.code IN (SELECT DISTINCT council_code FROM spending) OR a.code IN (SELECT DISTINCT lad_code FROM grants))
		ORDER BY a.name`)
	if err != nil {
		return nil, fmt.Errorf("money authorities: %w", err)
	}
	defer rows.Close()
	var out []AreaRef
	for rows.Next() {
		var r AreaRef
		if err := rows.Scan(&r.Code, &r.Name, &r.Level, &r.Population); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Server) apiMoney(c echo.Context) error {
	ctx := c.Request().Context()
	within := strings.ToUpper(strings.TrimSpace(c.QueryParam("within")))
	level := strings.ToLower(strings.TrimSpace(c.QueryParam("level")))
	if level == "" {
		level = queries.LevelWard
	}
	format := strings.ToLower(c.QueryParam("format"))
	if format != "" && format != "json" && format != "csv" {
		return echo.NewHTTPError(http.StatusBadRequest, "format must be json or csv")
	}
	r, err := s.moneyReport(ctx, within, level)
	if err != nil {
		return err
	}
	if format != "csv" {
		return c.JSON(http.StatusOK, map[string]any{"report": r, "sentence": r.Sentence(), "unmapped": r.UnmappedSentence()})
	}
	table := c.QueryParam("table")
	var head []string
	var recs [][]string
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	switch table {
	case "", "areas":
		head = []string{"code", "name", "level", "lsoas", "residents", "imd2025_mean_decile", "pct_residents_most_deprived_20pc",
			"spend_local", "spend_local_per_head", "grants_placed", "grants_per_head"}
		for _, a := range r.Areas {
			recs = append(recs, []string{a.Code, a.Name, r.Level, strconv.Itoa(a.LSOAs), strconv.FormatInt(a.Residents, 10),
				strconv.FormatFloat(a.MeanDecile, 'f', 1, 64), strconv.FormatFloat(a.MostDeprivedPct, 'f', 1, 64),
				f(a.Spend), f(a.SpendPerHead), f(a.Grants), f(a.GrantsPerHead)})
		}
	case "deciles":
		head = []string{"imd2025_decile", "lsoas", "residents", "pct_residents", "spend_local", "pct_spend_local", "spend_local_per_head",
			"grants_placed", "pct_grants_placed", "grants_per_head"}
		for _, d := range r.Deciles {
			recs = append(recs, []string{strconv.Itoa(d.Decile), strconv.Itoa(d.LSOAs), strconv.FormatInt(d.Residents, 10), f(d.ResidentsPct),
				f(d.Spend), f(d.SpendPct), f(d.SpendPerHead), f(d.Grants), f(d.GrantsPct), f(d.GrantsPerHead)})
		}
	case "spend_status", "grant_status":
		head = []string{"status", "label", "placed_in_neighbourhood", "suppliers_or_recipients", "payments_or_grants", "amount", "pct_amount"}
		list := r.Spend
		if table == "grant_status" {
			list = r.Grants
		}
		for _, st := range list {
			recs = append(recs, []string{st.Status, st.Label, strconv.FormatBool(st.Placed), strconv.FormatInt(st.Parties, 10),
				strconv.FormatInt(st.Rows, 10), f(st.Amount), f(st.Pct)})
		}
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "table must be areas, deciles, spend_status or grant_status")
	}
	name := fmt.Sprintf("money-%s-%s-%s.csv", within, level, strings.TrimSuffix(table+"-", "-"))
	name = strings.Replace(name, "-.csv", ".csv", 1)
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.Write(head)
	for _, rec := range recs {
		for i, v := range rec {
			rec[i] = csvSafe(v)
		}
		w.Write(rec)
	}
	w.Flush()
	return w.Error()
}

// csvSafe stops a spreadsheet reading a name as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+@", rune(v[0])) {
		return "'" + v
	}
	return v
}

// moneyNeed is the comparison for a profile or briefing: the authority's
// ward report (or custom-area report) with the area's own row. nil when
// there is no money to compare.
func (s *Server) moneyNeed(ctx context.Context, a Area) *MoneyNeed {
	lad, level := a.LADCode, queries.LevelWard
	switch a.Level {
	case "lad":
		lad = a.Code
	case "custom":
		level = queries.LevelCustom
		if lad == "" {
			// A custom area has no parent authority in areas: use the one
			// most of its residents live in.
			s.db.SQL().QueryRowContext(ctx, `SELECT l.lad_code FROM area_members m JOIN areas l ON l.code = m.lsoa_code AND l.level = 'lsoa21'
				WHERE m.area_code = ? AND m.area_level = 'custom' AND m.lsoa_vintage = 2021
				GROUP BY l.lad_code ORDER BY sum(coalesce(m.population, 0)) DESC LIMIT 1`, a.Code).Scan(&lad)
		}
	}
	if lad == "" || !s.mayHaveMoney(ctx, lad) {
		return nil
	}
	r, err := queries.Money(ctx, s.db, lad, level)
	if err != nil {
		if !errors.Is(err, queries.ErrNotFound) && !errors.Is(err, queries.ErrBadRequest) {
			s.log.Error("money against need failed", "area", a.Code, "err", err)
		}
		return nil
	}
	if r.SpendTotal == 0 && r.GrantsTotal == 0 {
		return nil
	}
	m := &MoneyNeed{Report: r, Area: a, Link: "/money?within=" + lad + "&level=" + level,
		Sentence: r.Sentence(), Unmapped: r.UnmappedSentence()}
	if r.Residents > 0 {
		m.LADSpend, m.LADGrants = r.SpendLocal/float64(r.Residents), r.GrantsPlaced/float64(r.Residents)
	}
	for i := range r.Areas {
		if r.Areas[i].Code == a.Code {
			m.Row = &r.Areas[i]
		}
	}
	// An area with no row of its own (an LSOA, or a ward whose code is not
	// in the LSOA lookup) still gets the authority's comparison and the link.
	return m
}

// moneyNeedFor is moneyNeed for an area code (the gaps page's within),
// cached with the profile sections; nil for an unknown code.
func (s *Server) moneyNeedFor(ctx context.Context, code string) *MoneyNeed {
	a, err := s.findArea(ctx, code)
	if err != nil {
		return nil
	}
	m, _ := cachedSection(ctx, s, "moneyneed|"+a.Code+"|"+a.Level, func(ctx context.Context) (*MoneyNeed, error) {
		return s.moneyNeed(ctx, a), nil
	})
	return m
}
