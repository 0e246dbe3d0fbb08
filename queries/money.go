package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"sync"
	"time"

	"commonground/warehouse"
)

// Money against need (issue 7): the council's payments to suppliers based
// in each neighbourhood and the 360Giving grants placed there, per head,
// set against the neighbourhoods' deprivation (IMD 2025 deciles, England).
// Suppliers and recipients are placed by the supplier_places and
// grant_places views (warehouse migration 0009); docs/METHODS.md explains
// the method. The figures are the same as the indicators
// local_supplier_spend_per_head and grants_received_per_head, computed here
// in one pass so a page can show every area, decile and unmapped total.

// MoneyLevels are the levels a money report breaks an authority into.
var MoneyLevels = []string{LevelWard, LevelCustom}

// MoneyGrantMonths is how far back grants are counted (the latest five
// years of the loaded grants), as in grants_received_per_head.
const MoneyGrantMonths = 60

// MoneySpendMonths is the spending window, as in local_supplier_spend_per_head.
const MoneySpendMonths = 12

// MoneyReport is money against need for the areas of one local authority.
type MoneyReport struct {
	Within     Area   `json:"within"`
	Level      string `json:"level"`
	CouncilPay bool   `json:"council_spending_loaded"`
	// SpendFrom and SpendTo bound the payments counted (the council's
	// latest 12 months); SpendMonths is how many months have payments.
	SpendFrom   time.Time `json:"spend_from,omitzero"`
	SpendTo     time.Time `json:"spend_to,omitzero"`
	SpendMonths int       `json:"spend_months"`
	GrantsFrom  time.Time `json:"grants_from,omitzero"`
	GrantsTo    time.Time `json:"grants_to,omitzero"`
	Residents   int64     `json:"residents"`
	// SpendLocal is the net paid to suppliers placed in the authority;
	// GrantsPlaced the grant money placed in its neighbourhoods.
	SpendLocal   float64           `json:"spend_local"`
	GrantsPlaced float64           `json:"grants_placed"`
	SpendTotal   float64           `json:"spend_total"`
	GrantsTotal  float64           `json:"grants_total"`
	Areas        []MoneyArea       `json:"areas"`
	Deciles      []MoneyDecile     `json:"deciles"`
	Spend        []MoneyStatus     `json:"spend_by_status"`
	Grants       []MoneyStatus     `json:"grants_by_status"`
	MostDeprived MoneyMostDeprived `json:"most_deprived_20pc"`
	// Outside counts custom areas' LSOAs outside the authority, left out.
	Outside int `json:"lsoas_outside_authority,omitempty"`
}

// MoneyArea is one ward or custom area.
type MoneyArea struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	LSOAs int    `json:"lsoas"`
	// Profile says the area has a profile page (its boundary is loaded).
	Profile   bool  `json:"has_profile"`
	Residents int64 `json:"residents"`
	// MeanDecile is the residents-weighted mean of the LSOAs' England IMD
	// 2025 deciles (1 = most deprived); MostDeprivedPct the share of
	// residents in England's most deprived 20%.
	MeanDecile      float64 `json:"imd2025_mean_decile"`
	MostDeprivedPct float64 `json:"pct_residents_most_deprived_20pc"`
	Spend           float64 `json:"spend_local"`
	SpendPerHead    float64 `json:"spend_local_per_head"`
	Grants          float64 `json:"grants_placed"`
	GrantsPerHead   float64 `json:"grants_per_head"`
}

// MoneyDecile is the authority's neighbourhoods in one England IMD 2025 decile.
type MoneyDecile struct {
	Decile        int     `json:"imd2025_decile"`
	LSOAs         int     `json:"lsoas"`
	Residents     int64   `json:"residents"`
	ResidentsPct  float64 `json:"pct_residents"`
	Spend         float64 `json:"spend_local"`
	SpendPct      float64 `json:"pct_spend_local"`
	SpendPerHead  float64 `json:"spend_local_per_head"`
	Grants        float64 `json:"grants_placed"`
	GrantsPct     float64 `json:"pct_grants_placed"`
	GrantsPerHead float64 `json:"grants_per_head"`
}

// MoneyMostDeprived sums deciles 1 and 2.
type MoneyMostDeprived struct {
	ResidentsPct float64 `json:"pct_residents"`
	SpendPct     float64 `json:"pct_spend_local"`
	GrantsPct    float64 `json:"pct_grants_placed"`
}

// MoneyStatus is the money in one mapping status: placed locally,
// elsewhere, or one of the unmapped kinds, which are shown, never hidden.
type MoneyStatus struct {
	Status  string  `json:"status"`
	Label   string  `json:"label"`
	Placed  bool    `json:"placed_in_neighbourhood"`
	Parties int64   `json:"suppliers_or_recipients"`
	Rows    int64   `json:"payments_or_grants"`
	Amount  float64 `json:"amount"`
	Pct     float64 `json:"pct_amount"`
}

var moneyStatusLabels = map[string]string{
	"local":               "Supplier based in the authority, placed in its neighbourhood",
	"elsewhere":           "Supplier based outside the authority",
	"postcode_not_placed": "Supplier postcode found but outside the loaded postcode lookup",
	"ambiguous":           "Name shared by organisations in several places: not placed",
	"unmatched":           "Supplier not found: where it is based is unknown",
	"redacted":            "Supplier redacted by the council",
	"placed":              "Placed in a neighbourhood (beneficiary ward or recipient's base)",
	"recipient_elsewhere": "Recipient based outside the authority",
	"authority_only":      "Benefits the whole authority and recipient not found: not placed",
	"unlocated":           "No location at all",
}

var ladCode = regexp.MustCompile(`^E0[6-9][0-9]{6}$`)

// ErrBadRequest marks bad parameters for money reports.
var ErrBadRequest = errors.New("bad request")

type moneyKey struct {
	db                     *warehouse.DB
	version, within, level string
}

const maxMoneyReports = 2 * 400

var moneyCache = struct {
	sync.Mutex
	m map[moneyKey]*MoneyReport
}{m: map[moneyKey]*MoneyReport{}}

// Money computes money against need for the wards or custom areas of the
// local authority within. Reports are kept per warehouse version.
func Money(ctx context.Context, db *warehouse.DB, within, level string) (*MoneyReport, error) {
	if !ladCode.MatchString(within) {
		return nil, fmt.Errorf("%w: within must be a local authority code like E08000009, not %q", ErrBadRequest, within)
	}
	if level != LevelWard && level != LevelCustom {
		return nil, fmt.Errorf("%w: level must be ward or custom, not %q", ErrBadRequest, level)
	}
	v, err := warehouseVersion(ctx, db)
	if err != nil {
		return nil, err
	}
	key := moneyKey{db, v, within, level}
	moneyCache.Lock()
	r, ok := moneyCache.m[key]
	moneyCache.Unlock()
	if ok {
		return r, nil
	}
	r, err = money(ctx, db, within, level)
	if err != nil {
		return nil, err
	}
	moneyCache.Lock()
	// Room for every English authority at both levels (WarmMoney fills
	// it): at 64 the warm-up and the profiles evicted each other, and a
	// profile paid a 30 ms report every time. A report is a few KB.
	if len(moneyCache.m) >= maxMoneyReports {
		moneyCache.m = map[moneyKey]*MoneyReport{}
	}
	moneyCache.m[key] = r
	moneyCache.Unlock()
	return r, nil
}

type moneyLSOA struct {
	code          string
	residents     int64
	decile        int
	spend, grants float64
}

// The report reads each view once: moneySpendSQL gives the council's
// payments in its latest 12 months by mapping status and LSOA (with a
// total row per status), moneyGrantSQL the grants for the authority in the
// latest five years the same way, grants to a ward shared among its LSOAs
// by residents. $1 is the authority.
const moneySpendSQL = `
WITH last AS (SELECT max(payment_date) AS last FROM spending WHERE council_code = $1)
SELECT sp.status, sp.lsoa21_code, GROUPING(sp.lsoa21_code) = 1 AS total,
       count(DISTINCT (s.supplier_name, s.supplier_id)), count(*), coalesce(sum(s.amount), 0)::DOUBLE
FROM spending s CROSS JOIN last
JOIN supplier_places sp ON sp.council_code = s.council_code
 AND sp.supplier_name IS NOT DISTINCT FROM s.supplier_name AND sp.supplier_id IS NOT DISTINCT FROM s.supplier_id
WHERE s.council_code = $1 AND s.payment_date > last.last - to_months($2::INTEGER)
GROUP BY GROUPING SETS ((sp.status, sp.lsoa21_code), (sp.status))`

const moneyGrantSQL = `
WITH lsoas AS (
    SELECT a.code AS lsoa_code, p.population
    FROM areas a
    JOIN population p ON p.area_code = a.code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
     AND p.sex = 'persons' AND p.age_band = 'all'
    WHERE a.level = 'lsoa21' AND a.lad_code = $1
),
g AS (
    SELECT * FROM grant_places
    WHERE coalesce(beneficiary_lad_code, lad_code) = $1 AND amount IS NOT NULL AND coalesce(currency, 'GBP') = 'GBP'
      AND award_date > (SELECT max(award_date) FROM grants) - to_months($2::INTEGER)
),
wards AS (
    SELECT al.area_code AS ward_code, al.lsoa_code,
           l.population / sum(l.population) OVER (PARTITION BY al.area_code) AS share
    FROM area_lsoas al JOIN lsoas l USING (lsoa_code)
    WHERE al.area_level = 'ward' AND al.lsoa_vintage = 2021
),
spread AS (
    SELECT g.status, g.identifier, g.recipient_org_name, g.award_date,
           CASE WHEN g.status = 'placed' THEN coalesce(g.lsoa21_code, w.lsoa_code) END AS lsoa_code,
           g.amount * coalesce(w.share, 1) AS amount
    FROM g LEFT JOIN wards w ON g.status = 'placed' AND g.lsoa21_code IS NULL AND w.ward_code = g.ward_code
)
SELECT status, lsoa_code, GROUPING(lsoa_code) = 1 AS total,
       count(DISTINCT recipient_org_name), count(DISTINCT identifier), coalesce(sum(amount), 0)::DOUBLE,
       min(award_date), max(award_date)
FROM spread
GROUP BY GROUPING SETS ((status, lsoa_code), (status))`

// moneyLSOASQL is the authority's LSOAs 2021 with residents and England
// IMD 2025 decile.
const moneyLSOASQL = `
SELECT a.code, p.population, coalesce(i.imd_decile, 0)
FROM areas a
JOIN population p ON p.area_code = a.code AND p.dataset = 'population-census2021' AND p.area_level = 'lsoa21'
 AND p.sex = 'persons' AND p.age_band = 'all'
LEFT JOIN imd i ON i.lsoa_code = a.code AND i.edition = 2025 AND i.lsoa_vintage = 2021
WHERE a.level = 'lsoa21' AND a.lad_code = $1
ORDER BY a.code`

func money(ctx context.Context, db *warehouse.DB, within, level string) (*MoneyReport, error) {
	r := &MoneyReport{Within: Area{Code: within}, Level: level}
	var name sql.NullString
	var found bool
	err := scanEach(ctx, db, `SELECT name FROM areas WHERE code = $1 AND level = 'lad' LIMIT 1`, func(rows *sql.Rows) error {
		found = true
		return rows.Scan(&name)
	}, within)
	if err != nil {
		return nil, fmt.Errorf("money %s: %w", within, err)
	}
	if !found {
		return nil, fmt.Errorf("%w: no local authority %s", ErrNotFound, within)
	}
	r.Within.Name, r.Within.Level = name.String, LevelLAD

	var lsoas []moneyLSOA
	err = scanEach(ctx, db, moneyLSOASQL, func(rows *sql.Rows) error {
		var l moneyLSOA
		if err := rows.Scan(&l.code, &l.residents, &l.decile); err != nil {
			return err
		}
		lsoas = append(lsoas, l)
		return nil
	}, within)
	if err != nil {
		return nil, fmt.Errorf("money %s: neighbourhoods: %w", within, err)
	}
	byCode := map[string]*moneyLSOA{}
	for i := range lsoas {
		byCode[lsoas[i].code] = &lsoas[i]
		r.Residents += lsoas[i].residents
	}
	if err := r.spending(ctx, db, within, byCode); err != nil {
		return nil, err
	}
	if err := r.grants(ctx, db, within, byCode); err != nil {
		return nil, err
	}
	if err := r.areas(ctx, db, within, level, byCode); err != nil {
		return nil, err
	}
	r.deciles(lsoas)
	// Empty lists, not nulls, in the JSON.
	if r.Areas == nil {
		r.Areas = []MoneyArea{}
	}
	if r.Deciles == nil {
		r.Deciles = []MoneyDecile{}
	}
	if r.Spend == nil {
		r.Spend = []MoneyStatus{}
	}
	if r.Grants == nil {
		r.Grants = []MoneyStatus{}
	}
	return r, nil
}

// finish sorts statuses by amount and sets their shares.
func finish(list []MoneyStatus, total float64, placed string) []MoneyStatus {
	sort.Slice(list, func(i, j int) bool { return list[i].Amount > list[j].Amount })
	for i := range list {
		list[i].Pct = pct(list[i].Amount, total)
		list[i].Label, list[i].Placed = moneyStatusLabels[list[i].Status], list[i].Status == placed
		if list[i].Label == "" {
			list[i].Label = list[i].Status
		}
	}
	return list
}

func (r *MoneyReport) spending(ctx context.Context, db *warehouse.DB, within string, byCode map[string]*moneyLSOA) error {
	var from, to sql.NullTime
	var months sql.NullInt64
	err := scanEach(ctx, db, `
		WITH last AS (SELECT max(payment_date) AS last FROM spending WHERE council_code = $1)
		SELECT min(s.payment_date), max(s.payment_date), count(DISTINCT date_trunc('month', s.payment_date))
		FROM spending s, last WHERE s.council_code = $1 AND s.payment_date > last.last - to_months($2::INTEGER)`,
		func(rows *sql.Rows) error { return rows.Scan(&from, &to, &months) }, within, MoneySpendMonths)
	if err != nil {
		return fmt.Errorf("money %s: spending period: %w", within, err)
	}
	r.SpendFrom, r.SpendTo, r.SpendMonths, r.CouncilPay = from.Time, to.Time, int(months.Int64), from.Valid
	if !from.Valid {
		return nil
	}
	err = scanEach(ctx, db, moneySpendSQL, func(rows *sql.Rows) error {
		var st MoneyStatus
		var lsoa sql.NullString
		var total bool
		if err := rows.Scan(&st.Status, &lsoa, &total, &st.Parties, &st.Rows, &st.Amount); err != nil {
			return err
		}
		if total {
			r.Spend = append(r.Spend, st)
			r.SpendTotal += st.Amount
			return nil
		}
		if l, ok := byCode[lsoa.String]; ok && st.Status == "local" {
			l.spend += st.Amount
			r.SpendLocal += st.Amount
		}
		return nil
	}, within, MoneySpendMonths)
	if err != nil {
		return fmt.Errorf("money %s: spending: %w", within, err)
	}
	r.Spend = finish(r.Spend, r.SpendTotal, "local")
	return nil
}

func (r *MoneyReport) grants(ctx context.Context, db *warehouse.DB, within string, byCode map[string]*moneyLSOA) error {
	err := scanEach(ctx, db, moneyGrantSQL, func(rows *sql.Rows) error {
		var st MoneyStatus
		var lsoa sql.NullString
		var total bool
		var from, to sql.NullTime
		if err := rows.Scan(&st.Status, &lsoa, &total, &st.Parties, &st.Rows, &st.Amount, &from, &to); err != nil {
			return err
		}
		if total {
			r.Grants = append(r.Grants, st)
			r.GrantsTotal += st.Amount
			if from.Valid && (r.GrantsFrom.IsZero() || from.Time.Before(r.GrantsFrom)) {
				r.GrantsFrom = from.Time
			}
			if to.Valid && to.Time.After(r.GrantsTo) {
				r.GrantsTo = to.Time
			}
			return nil
		}
		if l, ok := byCode[lsoa.String]; ok && st.Status == "placed" {
			l.grants += st.Amount
			r.GrantsPlaced += st.Amount
		}
		return nil
	}, within, MoneyGrantMonths)
	if err != nil {
		return fmt.Errorf("money %s: grants: %w", within, err)
	}
	r.Grants = finish(r.Grants, r.GrantsTotal, "placed")
	return nil
}

func (r *MoneyReport) areas(ctx context.Context, db *warehouse.DB, within, level string, byCode map[string]*moneyLSOA) error {
	// Wards are those of the LSOA 2021 → ward lookup (area_lsoas), named
	// from areas where their boundary is loaded, else from the lookup: a
	// newer ward boundary set may be loaded without an LSOA lookup.
	q := `SELECT al.area_code, coalesce(a.name, w.ward_name, al.area_code), al.lsoa_code, a.code IS NOT NULL
		FROM area_lsoas al
		JOIN areas l ON l.code = al.lsoa_code AND l.level = 'lsoa21' AND l.lad_code = $1
		LEFT JOIN areas a ON a.code = al.area_code AND a.level = 'ward'
		LEFT JOIN (SELECT ward_code, arg_max(ward_name, ward_vintage) AS ward_name FROM lookup_lsoa_ward_lad GROUP BY ward_code) w
		       ON w.ward_code = al.area_code
		WHERE al.area_level = 'ward' AND al.lsoa_vintage = 2021
		  -- An authority with wards of its own lists those, not also the
		  -- lookup wards they replaced (Trafford's 2022 wards).
		  AND (a.code IS NOT NULL OR NOT EXISTS (SELECT 1 FROM areas w2 WHERE w2.level = 'ward' AND w2.lad_code = $1))
		ORDER BY 2, 1`
	if level == LevelCustom {
		q = `SELECT m.area_code, coalesce(a.name, m.area_code), m.lsoa_code, true
			FROM area_members m JOIN areas a ON a.code = m.area_code AND a.level = 'custom'
			WHERE m.area_level = 'custom' AND m.lsoa_vintage = 2021 AND m.area_code IN (
			    SELECT m2.area_code FROM area_members m2 JOIN areas l ON l.code = m2.lsoa_code AND l.level = 'lsoa21'
			    WHERE m2.area_level = 'custom' AND m2.lsoa_vintage = 2021 AND l.lad_code = $1)
			ORDER BY 2, 1`
	}
	idx := map[string]int{}
	type acc struct{ decileW, deprived float64 }
	accs := map[string]*acc{}
	err := scanEach(ctx, db, q, func(rows *sql.Rows) error {
		var code, name, lsoa string
		var profile bool
		if err := rows.Scan(&code, &name, &lsoa, &profile); err != nil {
			return err
		}
		i, ok := idx[code]
		if !ok {
			i = len(r.Areas)
			idx[code] = i
			r.Areas = append(r.Areas, MoneyArea{Code: code, Name: name, Profile: profile})
			accs[code] = &acc{}
		}
		l, ok := byCode[lsoa]
		if !ok {
			r.Outside++ // a custom area's LSOA in another authority
			return nil
		}
		a := &r.Areas[i]
		a.LSOAs++
		a.Residents += l.residents
		a.Spend += l.spend
		a.Grants += l.grants
		if l.decile > 0 {
			accs[code].decileW += float64(l.decile * int(l.residents))
		}
		if l.decile == 1 || l.decile == 2 {
			accs[code].deprived += float64(l.residents)
		}
		return nil
	}, within)
	if err != nil {
		return fmt.Errorf("money %s: %s areas: %w", within, level, err)
	}
	for i := range r.Areas {
		a := &r.Areas[i]
		if a.Residents > 0 {
			n := float64(a.Residents)
			a.MeanDecile = roundTo(accs[a.Code].decileW/n, 1)
			a.MostDeprivedPct = roundTo(100*accs[a.Code].deprived/n, 1)
			a.SpendPerHead, a.GrantsPerHead = a.Spend/n, a.Grants/n
		}
	}
	return nil
}

func (r *MoneyReport) deciles(lsoas []moneyLSOA) {
	ds := map[int]*MoneyDecile{}
	for _, l := range lsoas {
		d, ok := ds[l.decile]
		if !ok {
			d = &MoneyDecile{Decile: l.decile}
			ds[l.decile] = d
		}
		d.LSOAs++
		d.Residents += l.residents
		d.Spend += l.spend
		d.Grants += l.grants
	}
	for _, d := range ds {
		d.ResidentsPct = pct(float64(d.Residents), float64(r.Residents))
		d.SpendPct = pct(d.Spend, r.SpendLocal)
		d.GrantsPct = pct(d.Grants, r.GrantsPlaced)
		if d.Residents > 0 {
			d.SpendPerHead, d.GrantsPerHead = d.Spend/float64(d.Residents), d.Grants/float64(d.Residents)
		}
		r.Deciles = append(r.Deciles, *d)
		if d.Decile == 1 || d.Decile == 2 {
			r.MostDeprived.ResidentsPct += d.ResidentsPct
			r.MostDeprived.SpendPct += d.SpendPct
			r.MostDeprived.GrantsPct += d.GrantsPct
		}
	}
	sort.Slice(r.Deciles, func(i, j int) bool { return r.Deciles[i].Decile < r.Deciles[j].Decile })
}

func pct(x, total float64) float64 {
	if total == 0 {
		return 0
	}
	return 100 * x / total
}

func roundTo(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// Sentence says money against need in plain English for the most deprived
// fifth of neighbourhoods, or "" when there is nothing to say.
func (r *MoneyReport) Sentence() string {
	if r.Residents == 0 || (r.SpendLocal == 0 && r.GrantsPlaced == 0) {
		return ""
	}
	s := fmt.Sprintf("England's 20%% most deprived neighbourhoods (IMD 2025) are home to %.0f%% of %s's residents", r.MostDeprived.ResidentsPct, r.Within.Name)
	var parts []string
	if r.SpendLocal != 0 {
		parts = append(parts, fmt.Sprintf("%.0f%% of the council's payments to suppliers based in %s", r.MostDeprived.SpendPct, r.Within.Name))
	}
	if r.GrantsPlaced != 0 {
		parts = append(parts, fmt.Sprintf("%.0f%% of the grant money placed in its neighbourhoods", r.MostDeprived.GrantsPct))
	}
	s += "; they received "
	for i, p := range parts {
		if i > 0 {
			s += " and "
		}
		s += p
	}
	return s + "."
}

// UnmappedSentence says how much of the council's spending could not be
// placed in a neighbourhood of the authority, or "".
func (r *MoneyReport) UnmappedSentence() string {
	if r.SpendTotal == 0 {
		return ""
	}
	var local float64
	for _, s := range r.Spend {
		if s.Status == "local" {
			local = s.Amount
		}
	}
	return fmt.Sprintf("Only %.1f%% of the council's published spending (£%s of £%s) went to suppliers that could be placed in %s; the rest is shown as unmapped or based elsewhere.",
		pct(local, r.SpendTotal), Pounds(local), Pounds(r.SpendTotal), r.Within.Name)
}

// Pounds formats whole pounds with thousands separators.
func Pounds(x float64) string {
	neg := x < 0
	n := int64(math.Round(math.Abs(x)))
	s := fmt.Sprintf("%d", n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// ResidentsShare, SpendShare and GrantsShare are the percentages as
// fractions (0–1), for bar widths.
func (d MoneyDecile) ResidentsShare() float64 { return d.ResidentsPct / 100 }

// SpendShare: see ResidentsShare.
func (d MoneyDecile) SpendShare() float64 { return d.SpendPct / 100 }

// GrantsShare: see ResidentsShare.
func (d MoneyDecile) GrantsShare() float64 { return d.GrantsPct / 100 }

// UnplacedSpend is the council's spending not placed in one of the
// authority's neighbourhoods (unmapped, redacted, ambiguous or elsewhere).
func (r *MoneyReport) UnplacedSpend() float64 { return r.SpendTotal - r.SpendLocal }

// UnplacedPct is UnplacedSpend as a share of all the council's spending.
func (r *MoneyReport) UnplacedPct() float64 { return pct(r.UnplacedSpend(), r.SpendTotal) }

// WarmMoney computes the money reports (wards and custom areas) of every
// authority with council spending or grants loaded, so the first visitor
// to /money or a profile does not wait for them.
func WarmMoney(ctx context.Context, db *warehouse.DB) error {
	var lads []string
	err := scanEach(ctx, db, `SELECT DISTINCT code FROM areas WHERE level = 'lad'
		AND (code IN (SELECT council_code FROM spending) OR code IN (SELECT lad_code FROM grants)) ORDER BY code`,
		func(rows *sql.Rows) error {
			var c string
			if err := rows.Scan(&c); err != nil {
				return err
			}
			lads = append(lads, c)
			return nil
		})
	if err != nil {
		return fmt.Errorf("warm money: %w", err)
	}
	for _, lad := range lads {
		for _, level := range MoneyLevels {
			if _, err := Money(ctx, db, lad, level); err != nil && !errors.Is(err, ErrBadRequest) {
				return fmt.Errorf("warm money %s %s: %w", lad, level, err)
			}
		}
	}
	return nil
}
