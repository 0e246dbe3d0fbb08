package dashboard

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"time"
)

// NamedAmount is a supplier, service area, recipient or funder with the
// money paid to it and its share of the total.
type NamedAmount struct {
	Name   string
	Amount float64
	Count  int64
	Share  float64
}

// MoneySection is the plain summary of council spending (for a council)
// and 360Giving grants (for any area) on a profile. The comparison of money
// with need is the "money_section" partial's.
type MoneySection struct {
	Council             bool
	Spend               float64
	Payments            int64
	SpendFrom, SpendTo  time.Time
	Suppliers, Services []NamedAmount
	Grants              int64
	GrantTotal          float64
	GrantFrom, GrantTo  time.Time
	Recipients, Funders []NamedAmount
	GrantsWhere         string // how grants were matched to the area
	LADGrants           int64  // grants recorded for the whole local authority (shown on smaller areas)
	LADCode, LADName    string
	ParentSpending      bool // the parent council publishes spending
}

// pounds formats money for people: £1.2 million, £45,300, £512.
func pounds(v float64) string {
	neg := ""
	if v < 0 {
		neg, v = "-", -v
	}
	switch {
	case v >= 1e9:
		return neg + "£" + strconv.FormatFloat(v/1e9, 'f', 2, 64) + " billion"
	case v >= 1e6:
		return neg + "£" + strconv.FormatFloat(v/1e6, 'f', 1, 64) + " million"
	}
	return neg + "£" + thousands(int64(math.Round(v)))
}

func (s *Server) moneySection(ctx context.Context, a Area) (*MoneySection, error) {
	return cachedSection(ctx, s, "money|"+a.Code+"|"+a.Level, func(ctx context.Context) (*MoneySection, error) {
		return s.buildMoneySection(ctx, a)
	})
}

func (s *Server) topAmounts(ctx context.Context, q string, total float64, args ...any) ([]NamedAmount, error) {
	rows, err := s.db.SQL().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NamedAmount
	for rows.Next() {
		var n NamedAmount
		if err := rows.Scan(&n.Name, &n.Amount, &n.Count); err != nil {
			return nil, err
		}
		if total > 0 {
			n.Share = n.Amount / total
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// buildMoneySection is buildMoneySectionSQL, short-cut for the areas the
// directory knows have no money at all.
func (s *Server) buildMoneySection(ctx context.Context, a Area) (*MoneySection, error) {
	if d, err := s.directory(ctx); err == nil && d.noMoney(a) {
		return nil, nil
	}
	return s.buildMoneySectionSQL(ctx, a)
}

func (s *Server) buildMoneySectionSQL(ctx context.Context, a Area) (*MoneySection, error) {
	m := &MoneySection{LADCode: a.LADCode, LADName: a.LADName}
	if a.Level == "lad" {
		var from, to sql.NullTime
		if err := s.db.SQL().QueryRowContext(ctx, `SELECT coalesce(sum(amount), 0)::DOUBLE, count(*), min(payment_date), max(payment_date)
			FROM spending WHERE council_code = ?`, a.Code).Scan(&m.Spend, &m.Payments, &from, &to); err != nil {
			return nil, fmt.Errorf("spending of %s: %w", a.Code, err)
		}
		m.SpendFrom, m.SpendTo, m.Council = from.Time, to.Time, m.Payments > 0
		if m.Council {
			var err error
			if m.Suppliers, err = s.topAmounts(ctx, `SELECT coalesce(nullif(trim(supplier_name), ''), 'Not named'), sum(amount)::DOUBLE, count(*)
				FROM spending WHERE council_code = ? GROUP BY 1 ORDER BY 2 DESC LIMIT 8`, m.Spend, a.Code); err != nil {
				return nil, fmt.Errorf("suppliers of %s: %w", a.Code, err)
			}
			// Councils fill an empty service area with placeholders ("NA"
			// in Trafford's file): shown as not stated, kept as published.
			if m.Services, err = s.topAmounts(ctx, `SELECT CASE WHEN upper(trim(coalesce(service_area, ''))) IN ('', 'NA', 'N/A', 'NULL', 'NONE', '-')
				THEN 'Not stated' ELSE trim(service_area) END, sum(amount)::DOUBLE, count(*)
				FROM spending WHERE council_code = ? GROUP BY 1 ORDER BY 2 DESC LIMIT 8`, m.Spend, a.Code); err != nil {
				return nil, fmt.Errorf("service areas of %s: %w", a.Code, err)
			}
		}
	} else if a.LADCode != "" {
		var n int64
		s.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM spending WHERE council_code = ?`, a.LADCode).Scan(&n)
		m.ParentSpending = n > 0
	}

	// Grants: by the code the grant was placed in (local authority or
	// ward), else by the recipient's neighbourhood for smaller areas.
	where, args := "", []any{a.Code}
	switch a.Level {
	case "lad":
		where, m.GrantsWhere = "lad_code = ?", "benefiting "+a.Name+" or made to recipients in it"
	case "ward":
		where, m.GrantsWhere = "ward_code = ?", "benefiting the ward or made to recipients in it"
	default:
		where = `lsoa21_code IN (SELECT lsoa_code FROM area_lsoas WHERE area_code = ? AND area_level = ? AND lsoa_vintage = 2021)`
		args = append(args, a.Level)
		m.GrantsWhere = "made to recipients with a postcode in the area"
	}
	var from, to sql.NullTime
	if err := s.db.SQL().QueryRowContext(ctx, `SELECT count(*), coalesce(sum(amount_awarded), 0)::DOUBLE, min(award_date), max(award_date)
		FROM grants WHERE `+where, args...).Scan(&m.Grants, &m.GrantTotal, &from, &to); err != nil {
		return nil, fmt.Errorf("grants of %s: %w", a.Code, err)
	}
	m.GrantFrom, m.GrantTo = from.Time, to.Time
	if m.Grants > 0 {
		var err error
		if m.Recipients, err = s.topAmounts(ctx, `SELECT coalesce(nullif(trim(recipient_org_name), ''), 'Not named'), sum(amount_awarded)::DOUBLE, count(*)
			FROM grants WHERE `+where+` GROUP BY 1 ORDER BY 2 DESC LIMIT 6`, m.GrantTotal, args...); err != nil {
			return nil, fmt.Errorf("grant recipients of %s: %w", a.Code, err)
		}
		if m.Funders, err = s.topAmounts(ctx, `SELECT coalesce(nullif(trim(funding_org_name), ''), 'Not named'), sum(amount_awarded)::DOUBLE, count(*)
			FROM grants WHERE `+where+` GROUP BY 1 ORDER BY 2 DESC LIMIT 4`, m.GrantTotal, args...); err != nil {
			return nil, fmt.Errorf("grant funders of %s: %w", a.Code, err)
		}
	}
	if a.Level != "lad" && a.LADCode != "" {
		// Grants placed only at the level of the whole authority cannot be
		// shared out to a smaller area: say how many there are.
		s.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM grants WHERE lad_code = ? AND ward_code IS NULL AND lsoa21_code IS NULL`, a.LADCode).Scan(&m.LADGrants)
	}
	if !m.Council && m.Grants == 0 && m.LADGrants == 0 && !m.ParentSpending {
		return nil, nil
	}
	return m, nil
}

// Money is the amount for people ("£1.2 million").
func (n NamedAmount) Money() string { return pounds(n.Amount) }

// SpendMoney is the council's total spend, for people.
func (m *MoneySection) SpendMoney() string { return pounds(m.Spend) }

// GrantMoney is the total of the grants, for people.
func (m *MoneySection) GrantMoney() string { return pounds(m.GrantTotal) }

// SpendPeriod and GrantPeriod say which dates the figures cover.
func (m *MoneySection) SpendPeriod() string { return period(m.SpendFrom, m.SpendTo) }

// GrantPeriod: see SpendPeriod.
func (m *MoneySection) GrantPeriod() string { return period(m.GrantFrom, m.GrantTo) }

func period(from, to time.Time) string {
	if from.IsZero() {
		return ""
	}
	if from.Equal(to) {
		return from.Format("2 January 2006")
	}
	return from.Format("2 January 2006") + " to " + to.Format("2 January 2006")
}
