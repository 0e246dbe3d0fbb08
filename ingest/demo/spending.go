package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Headers of the spending and grants files: Leeds' 2013 CamelCase layout,
// the Transparency Code layout Trafford publishes, and 360Giving's flattened
// CSV as Trafford publishes it.
var (
	headSpendingLeeds    = []string{"Body", "BodyName", "ServiceLabel", "ServiceDivisionLabel", "ExpenditureCategory", "DetailedExpenditureType", "DetailedExpenditureCode", "DatePaid", "TransactionNumber", "NetAmount", "CapitalOrRevenue", "SupplierName"}
	headSpendingTrafford = []string{"OrganisationLabel", "OrganisationURI", "EffectiveDate", "OrganisationalUnit", "BeneficiaryName", "BeneficiaryOtherID", "PaymentDate", "TransactionNumber", "Amount", "IrrecoverableVATAmount", "Purpose", "ProclassLabel", "ProclassCode", "InvoiceNumber", "ProfitCentre", "VATRegistrationNumber"}
	head360Giving        = []string{"Identifier", "Title", "Description", "Currency", "Amount Applied For", "Amount Awarded", "Amount Disbursed", "Award Date", "URL",
		"Planned Dates:Start Date", "Planned Dates:End Date", "Planned Dates:Duration (months)",
		"Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Charity Number", "Recipient Org:Company Number", "Recipient Org:Street Address",
		"Recipient Org:City", "Recipient Org:County", "Recipient Org:Country", "Recipient Org:Postal Code", "Recipient Org:Description", "Recipient Org:Web Address",
		"Beneficiary Location:Name", "Beneficiary Location:Country Code", "Beneficiary Location:Latitude", "Beneficiary Location:Longitude",
		"Beneficiary Location:Geographic Code", "Beneficiary Location:Geographic Code Type",
		"Funding Org:Identifier", "Funding Org:Name", "Funding Org:Department", "Grant Programme:Code", "Grant Programme:Title", "Grant Programme:URL",
		"From an open call?", "Related Activity", "Last modified", "Data Source"}
)

// The council as a publisher.
var (
	councilName = "Exampleton Council (synthetic)"
	councilURI  = "https://www." + webDomain + "/id/local-authority/" + LADCode
	funderID    = "360G-exampleton-synthetic"
)

// spendKind is an invented expenditure line: service, division, the CIPFA
// subjective category, a detailed type and code, and the kind of supplier.
type spendKind struct {
	service, division, category, detail string
	code                                int
	trade                               string
	weight                              float64
	median                              float64
}

var spendKinds = []spendKind{
	{"Adult Social Care", "Home Care", "Third Party Payments", "Home Care", 568, "Home Care Ltd", 9, 1400},
	{"Adult Social Care", "Residential Services", "Third Party Payments", "Residential", 580, "Care Homes Ltd", 7, 3800},
	{"Adult Social Care", "Direct Payments", "Transfer Payments", "Direct Payments", 626, "", 4, 900},
	{"Children's Services", "Fostering & Adoption", "Third Party Payments", "Independent Fostering Agencies", 509, "Fostering Partnership", 4, 3200},
	{"Children's Services", "Early Help", "Supplies and Services", "Grant Related Expenditure", 290, "Family Support CIC", 2, 1500},
	{"Resources", "Digital Services", "Supplies and Services", "Computer Software & Equipment", 214, "Digital Ltd", 3, 2100},
	{"Resources", "Human Resources", "Employees", "Agency Staff", 8, "Recruitment Ltd", 8, 1200},
	{"Communities & Environment", "Waste & Street Cleansing", "Transport", "Private Hire", 360, "Plant Hire Ltd", 4, 1100},
	{"Communities & Environment", "Parks & Coast", "Supplies and Services", "Operational Materials", 205, "Landscapes Ltd", 3, 800},
	{"Regeneration & Housing", "Harbour Regeneration", "Capital", "Construction", 3, "Construction Ltd", 2, 24000},
	{"Regeneration & Housing", "Homelessness", "Premises", "Temporary Accommodation", 118, "Lettings", 3, 1300},
	{"Central & Corporate", "Facilities", "Premises", "Repairs & Maintenance", 101, "Building Services Ltd", 4, 950},
	{"Central & Corporate", "Legal Services", "Supplies and Services", "Legal Disbursements", 411, "Solicitors LLP", 1, 1600},
	{"Central & Corporate", "Town Hall", "Income", "Town Hall Trading Income", 996, "Events Ltd", 1, 700},
}

var supplierStems = []string{"Harbour", "Quayside", "Northgate", "Beacon", "Priory", "Saltmarsh", "Kingsmoor", "Fenwick", "Lighthouse",
	"Seagate", "Island", "Westcliffe", "Abbey", "Ropewalk", "Castle", "Greystone", "Thornbury", "Brackenridge"}

// supplier returns the name of one of a few suppliers of a trade.
func supplier(r *rand.Rand, k spendKind) string {
	if k.trade == "" {
		return "Redacted Personal Information"
	}
	return supplierStems[r.IntN(6)+len(k.trade)%(len(supplierStems)-6)] + " " + k.trade
}

func pickKind(r *rand.Rand) spendKind {
	sum := 0.0
	for _, k := range spendKinds {
		sum += k.weight
	}
	x := r.Float64() * sum
	for _, k := range spendKinds {
		x -= k.weight
		if x < 0 {
			return k
		}
	}
	return spendKinds[len(spendKinds)-1]
}

// amount draws a positive payment (pence) around the kind's median; about 1
// in 60 is a credit.
func amount(r *rand.Rand, k spendKind) int64 {
	v := math.Exp(math.Log(k.median) + r.NormFloat64()*0.8)
	v = math.Max(500, v)
	p := int64(math.Round(v * 100))
	if r.IntN(5) < 2 {
		p = p / 100 * 100 // whole pounds, as many lines are
	}
	if r.IntN(60) == 0 || k.category == "Income" {
		p = -p
	}
	return p
}

// plainAmount is "1240", "605.5" or "-2164.25".
func plainAmount(p int64) string { return num(float64(p) / 100) }

// poundAmount is "£1,234.56", or "(123.45)" for a credit.
func poundAmount(p int64) string {
	neg := p < 0
	if neg {
		p = -p
	}
	s := fmt.Sprintf("%s.%02d", thousands(int(p/100)), p%100)
	if neg {
		return "(" + s + ")"
	}
	return "\u00a3" + s
}

// paymentDays lists the weekdays from..to inclusive.
func paymentDays(from, to time.Time) []time.Time {
	var out []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

// writeSpending writes June 2024 in Leeds' 2013 layout (CRLF, dates
// "20-Jun-24", amounts without trailing zeros, credits) and July 2024 in the
// Transparency Code layout (CRLF, "£1,234.56" amounts, credits as
// "(123.45)", a few Windows-1252 apostrophes mis-decoded to U+0092 as in
// Trafford's file, and one row whose payment date cannot be parsed).
func (w *world) writeSpending(o *output) error {
	r := w.rng("spending-2024-06")
	june := paymentDays(time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC))
	type line struct {
		k    spendKind
		date time.Time
		sup  string
		p    int64
	}
	var lines []line
	for range 1500 {
		k := pickKind(r)
		// Most payments fall in June; a tail is from late May.
		d := june[len(june)-1-int(math.Min(float64(len(june)-1), math.Abs(r.NormFloat64())*10))]
		lines = append(lines, line{k, d, supplier(r, k), amount(r, k)})
	}
	// Published sorted by supplier, as Leeds' files are.
	slices.SortStableFunc(lines, func(x, y line) int { return strings.Compare(x.sup, y.sup) })
	t := newTable(false, "\r\n")
	t.row(headSpendingLeeds...)
	for i, l := range lines {
		cr := "R"
		if l.k.category == "Capital" {
			cr = "C"
		}
		t.row(all(a, councilURI, councilName, l.k.service, l.k.division, l.k.category, l.k.detail, strconv.Itoa(l.k.code),
			l.date.Format("02-Jan-06"), fmt.Sprintf("2406-%05d", i+1), plainAmount(l.p), cr, l.sup)...)
	}
	if err := o.write(DatasetSpending, "spending/exampleton_spending_2024-06.csv", t.bytes(true)); err != nil {
		return err
	}

	r = w.rng("spending-2024-07")
	july := paymentDays(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 31, 0, 0, 0, 0, time.UTC))
	proclass := map[string][2]string{
		"Third Party Payments":  {"SOCIAL CARE : Care Services", "351510"},
		"Transfer Payments":     {"SOCIAL CARE : Direct Payments", "351590"},
		"Supplies and Services": {"SERVICES : General Services", "301010"},
		"Employees":             {"HUMAN RESOURCES : Temporary Staff", "241210"},
		"Transport":             {"TRANSPORT : Vehicle Hire", "381510"},
		"Capital":               {"CONSTRUCTION : Building Construction", "391110"},
		"Premises":              {"FACILITIES : Repairs & Maintenance", "321110"},
		"Income":                {"SERVICES : Events", "301510"},
	}
	t = newTable(false, "\r\n")
	t.row(headSpendingTrafford...)
	supplierIDs := map[string]int{}
	n := 700
	bad := 1 + r.IntN(n-2)
	for i := range n {
		k := pickKind(r)
		sup := supplier(r, k)
		if _, ok := supplierIDs[sup]; !ok {
			supplierIDs[sup] = 3000 + len(supplierIDs)*7
		}
		d := july[r.IntN(len(july))].Format("2006-01-02")
		if i == bad {
			d = "2024-07-32" // deliberately unparseable: the demo shows a reject
		}
		p := amount(r, k)
		purpose := strings.ToUpper(k.division) + " - " + k.detail
		if r.IntN(40) == 0 {
			purpose = "Children\u0092s transport " + k.detail // Windows-1252 apostrophe read as Latin-1
		}
		vat := ""
		if k.trade != "" && r.IntN(3) > 0 {
			vat = fmt.Sprintf("GB%09d", r.IntN(1_000_000_000))
		}
		pc := proclass[k.category]
		t.row(all(a, councilName, councilURI, "2024-07-31", strings.ToUpper(k.service+" : "+k.division), sup, strconv.Itoa(supplierIDs[sup]),
			d, strconv.Itoa(5100600000+i*3+r.IntN(3)), poundAmount(p), "\u00a30.00", purpose, pc[0], pc[1],
			strconv.Itoa(70000+r.IntN(30000)), strconv.Itoa(250000+k.code*10), vat)...)
	}
	return o.write(DatasetSpending, "spending/exampleton_spending_2024-07.csv", t.bytes(true))
}

// writeGrants writes 360Giving flattened CSV (39 columns, CRLF, UTF-8 with
// curly quotes and "£" in descriptions): grants to invented community
// organisations, more of them in the deprived wards, with the ward as the
// beneficiary location.
func (w *world) writeGrants(o *output) error {
	r := w.rng("grants")
	orgs := []struct{ name, desc string }{
		{"%s Youth Club", "Weekly youth sessions and a summer programme for young people aged 11\u201318"},
		{"%s Community Choir", "Create and run a community choir with local schools, ending in a \u201cSing the Harbour\u201d concert"},
		{"Friends of %s Park", "Volunteer litter picks, bulb planting and a new noticeboard for the park"},
		{"%s Tenants & Residents Association", "Running costs for the residents\u2019 drop-in and a community newsletter"},
		{"%s Over 50s Club", "Healthy living sessions, lunches and trips for older residents"},
		{"%s Community Garden", "Raised beds and tools so families can grow food together; \u00a3250 towards water butts"},
		{"Harbour Rowing Club", "Taster sessions on the water for residents who have never rowed"},
		{"Lighthouse Arts Collective", "Free art workshops in the town centre for adults living with low mood"},
		{"Exampleton Men's Shed", "Workshop space and tools for men to meet, make and mend"},
		{"Island Dementia Caf\u00e9", "A monthly dementia-friendly caf\u00e9 with carers\u2019 support"},
	}
	programmes := []struct{ code, title, grant string }{
		{"NG", "Neighbourhood Grants", "Neighbourhood Grant"},
		{"WSF", "Warm Spaces Fund", "Warm Spaces Fund grant"},
	}
	wardDep := func(wd *ward) float64 {
		s := 0.0
		for _, l := range wd.lsoas {
			s += l.dep
		}
		return s / float64(len(wd.lsoas))
	}
	t := newTable(false, "\r\n")
	t.row(all(a, head360Giving...)...)
	start := time.Date(2023, 4, 3, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		// Pick a ward, weighted towards deprivation.
		sum := 0.0
		for _, wd := range w.wards {
			sum += math.Pow(wardDep(wd), 2) + 0.05
		}
		x := r.Float64() * sum
		wd := w.wards[len(w.wards)-1]
		for _, c := range w.wards {
			x -= math.Pow(wardDep(c), 2) + 0.05
			if x < 0 {
				wd = c
				break
			}
		}
		org := orgs[r.IntN(len(orgs))]
		name := org.name
		if strings.Contains(name, "%s") {
			name = fmt.Sprintf(name, wd.name)
		}
		prog := programmes[0]
		if i%5 == 4 {
			prog = programmes[1]
		}
		awarded := float64(250 + r.IntN(60)*50)
		if r.IntN(3) == 0 {
			awarded = float64(50000+r.IntN(450000)) / 100
		}
		award := start.AddDate(0, 0, 7*r.IntN(64))
		postal := ""
		if len(wd.lsoas) > 0 && r.IntN(2) == 0 {
			l := wd.lsoas[r.IntN(len(wd.lsoas))]
			postal = l.pcs[r.IntN(len(l.pcs))].code
		}
		openCall := "Yes"
		if r.IntN(6) == 0 {
			openCall = "No"
		}
		t.row(all(a,
			fmt.Sprintf("%s-%s%04d", funderID, prog.code, i+1), prog.grant+" to "+name, org.desc, "GBP", "", num(awarded), "",
			award.Format("2006-01-02"), "", "", "", "12",
			"360G-exampleton-"+slug(name), name, "", "", "", "", "", "England", postal, "", "",
			wd.name, "GB", "", "", wd.code, "WD",
			funderID, councilName, "Communities & Neighbourhoods", prog.code, prog.title, "",
			openCall, "", award.AddDate(0, 1, 0).Format("2006-01-02")+"T12:00:00Z", "https://www."+webDomain+"/")...)
	}
	return o.write(DatasetGrants, "grants/exampleton_grants.csv", t.bytes(true))
}
