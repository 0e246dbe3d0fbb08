package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Headers of the service files that have one (epraccur and edispensary are
// headerless).
var (
	headLibraries = []string{"name", "address", "postcode", "type", "email", "website", "area_name", "area_code", "lon", "lat"}
	headFoodBanks = []string{"Name", "Referral method", "Opening times", "Address", "Postcode", "Contact", "Website", "Area name", "Area code"}
	headSchools   = []string{"urn", "la_code", "la_name", "establishment_number", "establishment_name", "establishment_type", "establishment_type_group", "education_phase", "number_of_pupils", "percentage_fsm", "easting", "northing", "lsoa_code", "pcon_code", "longitude", "latitude"}
)

// Invented street names and the synthetic web domain (.example is reserved
// for examples, so no link can reach a real site).
var (
	streets = []string{"Quay Street", "Market Place", "Chapel Road", "Abbey Lane", "High Street", "Station Road", "Mill Lane",
		"Church Street", "Sea View Road", "Priory Walk", "Fenwick Avenue", "Harbour Road", "Ropewalk", "Castle Hill", "Moor Lane", "Beacon Road"}
	webDomain = "exampleton.example"
)

// place is a service location: an existing postcode in an LSOA.
type place struct {
	l  *lsoa
	pc *postcode
}

func (w *world) places(r *rand.Rand, n int, weight func(*lsoa) float64) []place {
	var out []place
	for _, l := range pickLSOAs(w.lsoas, n, weight, r) {
		out = append(out, place{l, l.pcs[r.IntN(len(l.pcs))]})
	}
	return out
}

func street(r *rand.Rand) string {
	return fmt.Sprintf("%d %s", 1+r.IntN(140), streets[r.IntN(len(streets))])
}

// phone is a number in Ofcom's range reserved for drama (01632 960xxx).
func phone(r *rand.Rand) string { return fmt.Sprintf("01632 960%03d", r.IntN(1000)) }

// odsDate is a YYYYMMDD date between the given years.
func odsDate(r *rand.Rand, fromYear, toYear int) string {
	return fmt.Sprintf("%04d%02d01", fromYear+r.IntN(toYear-fromYear+1), 1+r.IntN(12))
}

func (w *world) writeServices(o *output) error {
	for _, step := range []func(*output) error{w.writeGPs, w.writePharmacies, w.writeLibraries, w.writeFoodBanks, w.writeSchools} {
		if err := step(o); err != nil {
			return err
		}
	}
	return nil
}

// writeGPs writes epraccur: headerless, 27 columns, every field quoted,
// YYYYMMDD dates, prescribing setting 4 (GP practice) in column 26. Seven
// open practices sit mostly in the affluent edges and the two closed ones in
// the deprived centre: the service-gap story.
func (w *world) writeGPs(o *output) error {
	r := w.rng("gp")
	open := w.places(r, 7, func(l *lsoa) float64 { return math.Pow(1-l.dep, 2) + 0.03 })
	closed := w.places(r, 2, func(l *lsoa) float64 { return math.Pow(l.dep, 4) })
	suffixes := []string{"MEDICAL PRACTICE", "SURGERY", "HEALTH CENTRE", "FAMILY PRACTICE", "MEDICAL CENTRE"}
	seen := make(map[string]bool)
	t := newTable(false, "\n")
	for i, p := range append(open, closed...) {
		name := strings.ToUpper(p.l.ward.name) + " " + suffixes[i%len(suffixes)]
		if seen[name] {
			name = "THE " + name
		}
		seen[name] = true
		opened := odsDate(r, 1974, 2005)
		closeDate, status, left := "", "A", ""
		if i >= len(open) {
			closeDate = odsDate(r, 2016, 2023)
			status, left = "C", closeDate
		}
		building := ""
		if i%3 == 0 {
			building = "THE HEALTH CENTRE"
		}
		t.row(all(q,
			fmt.Sprintf("X99%03d", i+1), name, "Y62", "Q99", building, strings.ToUpper(street(r)), "EXAMPLETON", "", "",
			p.pc.code, opened, closeDate, status, "B", "99Z", odsDate(r, 2013, 2020), left, phone(r),
			"", "", "", "0", "", "99Z", "", "4", "")...)
	}
	return o.write(DatasetGPPractices, "services/epraccur.csv", t.bytes(true))
}

// writePharmacies writes edispensary: the same 27-column headerless layout.
// Pharmacies cluster in the town centre; one has closed.
func (w *world) writePharmacies(o *output) error {
	r := w.rng("pharmacy")
	ps := w.places(r, 12, func(l *lsoa) float64 { return l.dep + 0.25 })
	names := []string{"QUAYSIDE PHARMACY", "MARKET PLACE CHEMIST", "SEAGATE PHARMACY", "EXAMPLETON PHARMACY"}
	t := newTable(false, "\n")
	for i, p := range ps {
		name := strings.ToUpper(p.l.ward.name) + " PHARMACY"
		if i < len(names) {
			name = names[i]
		}
		closeDate, status, left := "", "A", ""
		if i == len(ps)-1 {
			closeDate = odsDate(r, 2021, 2024)
			status, left = "C", closeDate
		}
		opened := odsDate(r, 1995, 2015)
		t.row(all(q,
			fmt.Sprintf("FZ%03d", i+1), name, "Y62", "Q99", strings.ToUpper(street(r)), strings.ToUpper(p.l.ward.name), "EXAMPLETON", "", "",
			p.pc.code, opened, closeDate, status, "1", "P99Z", opened, left, phone(r),
			"", "", "", "0", "", "Q99", "", "", "")...)
	}
	return o.write(DatasetPharmacies, "services/pharmacies_edispensary.csv", t.bytes(true))
}

// writeLibraries writes the GM libraries layout: the central library at the
// harbour and branch libraries elsewhere, one of them community-run.
func (w *world) writeLibraries(o *output) error {
	r := w.rng("library")
	central := w.nearestPlace(w.harbor)
	branches := w.places(r, 4, func(l *lsoa) float64 {
		if l == central.l {
			return 0
		}
		return 0.2 + l.rural
	})
	t := newTable(false, "\n")
	t.row(headLibraries...)
	for i, p := range append([]place{central}, branches...) {
		name, kind, local := "Exampleton Central Library", "Local authority run library", "central"
		addr := "Central Library, " + street(r) + ", " + shortName
		if i > 0 {
			name = p.l.ward.name + " Library"
			if i == 4 {
				name = p.l.ward.name + " Community Library"
				kind = "Community run library"
			}
			local = slug(p.l.ward.name)
			addr = name + ", " + street(r) + ", " + p.l.ward.name + ", " + shortName
		}
		t.row(all(a, name, addr, p.pc.code, kind, local+".library@"+webDomain,
			"https://www."+webDomain+"/libraries/"+local, LADName, LADCode, num(p.pc.ll[0]), num(p.pc.ll[1]))...)
	}
	return o.write(DatasetLibraries, "services/gm_libraries.csv", t.bytes(true))
}

// nearestPlace is the postcode nearest to p (local km).
func (w *world) nearestPlace(p orb.Point) place {
	ll := toLonLat(p)
	var best *postcode
	for _, pc := range w.pcs {
		if best == nil || planar.Distance(pc.ll, ll) < planar.Distance(best.ll, ll) {
			best = pc
		}
	}
	return place{best.lsoa, best}
}

// writeFoodBanks writes the GM food banks layout with its quirks: CRLF
// records, opening times with embedded bare-LF newlines, UTF-8 "£" and en
// dashes, an "NA", and no newline after the last record. Food banks sit in
// the deprived LSOAs.
func (w *world) writeFoodBanks(o *output) error {
	r := w.rng("foodbank")
	ps := w.places(r, 6, func(l *lsoa) float64 { return math.Pow(l.dep, 3) })
	type fb struct{ name, referral, times string }
	banks := []fb{
		{"Exampleton Foodbank (synthetic)", "Foodbank Voucher", "Monday 10am \u2013 12noon\nThursday 1pm \u2013 3pm"},
		{"Quayside Community Larder", "\u00a33.50 membership for a basket of food including fresh produce, bread and tinned food", "Wednesday 10.30am \u2013 12.30pm"},
		{"%s Food Club", "Open door", "Tuesdays and Fridays 11am-1pm.\n\nFood Club membership: \u00a32 for 10 items"},
		{"%s Churches Together Food Share", "Referral", "NA"},
		{"Harbour Lights Pantry", "Not known", "Saturday 9am \u2013 11am"},
		{"%s Family Hub Food Bank", "Referral by agencies for emergency food parcels", "Weekdays 9am \u2013 4pm\nEmergency parcels most days via phone"},
	}
	t := newTable(false, "\r\n")
	t.row(headFoodBanks...)
	for i, p := range ps {
		b := banks[i%len(banks)]
		name := b.name
		if strings.Contains(name, "%s") {
			name = fmt.Sprintf(name, p.l.ward.name)
		}
		contact := slug(name) + "@" + webDomain
		if i%2 == 1 {
			contact = phone(r)
		}
		t.row(all(a, name, b.referral, b.times, street(r)+", "+p.l.ward.name+", "+shortName, p.pc.code, contact,
			"https://"+strings.ReplaceAll(slug(name), "_", "")+"."+webDomain+"/", LADName, LADCode)...)
	}
	return o.write(DatasetFoodBanks, "services/gm_food_banks.csv", t.bytes(false))
}

// writeSchools writes the derived GIAS open-schools layout (R write.csv:
// strings quoted, numbers bare, LF). Easting and northing are computed from
// longitude and latitude with wgs84ToBNG.
func (w *world) writeSchools(o *output) error {
	r := w.rng("school")
	type kind struct {
		n                         int
		typ, group, phase, number string // number: establishment number prefix
		pupils                    [2]int
		fsm                       bool
		names                     []string
	}
	kinds := []kind{
		{8, "Community school", "Local authority maintained schools", "Primary", "2", [2]int{150, 460}, true, []string{"%s Primary School", "%s Community Primary School", "%s Junior School", "%s Infant School"}},
		{4, "Academy converter", "Academies", "Primary", "2", [2]int{180, 480}, true, []string{"%s Primary Academy", "%s Academy"}},
		{3, "Voluntary aided school", "Local authority maintained schools", "Primary", "3", [2]int{120, 320}, true, []string{"St Mary's Catholic Primary School", "Our Lady Star of the Sea Catholic Primary School", "Holy Trinity CE Primary School"}},
		{2, "Voluntary controlled school", "Local authority maintained schools", "Primary", "3", [2]int{90, 260}, true, []string{"%s CE Primary School", "Christ Church CE Primary School"}},
		{2, "Academy converter", "Academies", "Secondary", "4", [2]int{700, 1450}, true, []string{"%s High School", "%s Academy"}},
		{2, "Academy sponsor led", "Academies", "Secondary", "4", [2]int{650, 1200}, true, []string{"Exampleton Harbour Academy", "%s Community College"}},
		{1, "Community special school", "Special schools", "Not applicable", "7", [2]int{60, 140}, true, []string{"The Lighthouse School"}},
		{1, "Local authority nursery school", "Local authority maintained schools", "Nursery", "1", [2]int{60, 110}, true, []string{"%s Nursery School"}},
		{1, "Other independent school", "Independent schools", "Not applicable", "6", [2]int{180, 420}, false, []string{"Priory House School"}},
		{1, "Further education", "Colleges", "16 plus", "4", [2]int{1200, 2600}, false, []string{"Exampleton College"}},
	}
	total := 0
	for _, k := range kinds {
		total += k.n
	}
	ps := w.places(r, total, func(l *lsoa) float64 { return float64(l.pop2017) })
	t := newTable(false, "\n")
	t.row(all(q, headSchools...)...)
	urn := 990001
	estab := map[string]int{}
	seen := map[string]bool{}
	i := 0
	for _, k := range kinds {
		for j := range k.n {
			p := ps[i]
			i++
			name := k.names[j%len(k.names)]
			if strings.Contains(name, "%s") {
				name = fmt.Sprintf(name, p.l.ward.name)
			}
			if seen[name] {
				name += " (" + p.l.ward.name + ")"
			}
			seen[name] = true
			estab[k.number]++
			pupils := k.pupils[0] + r.IntN(k.pupils[1]-k.pupils[0]+1)
			fsm := ""
			if k.fsm {
				fsm = num(roundN(clamp(4+38*p.l.dep+r.NormFloat64()*4, 1, 70), 1))
			}
			// The school building is a few tens of metres from its
			// postcode's point, still inside the LSOA.
			ll := p.pc.ll
			for range 20 {
				c := orb.Point{ll[0] + (r.Float64()-0.5)*6e-4, ll[1] + (r.Float64()-0.5)*4e-4}
				if planar.MultiPolygonContains(p.l.geom, c) {
					ll = c
					break
				}
			}
			e, n := wgs84ToBNG(ll[0], ll[1])
			t.row(q(strconv.Itoa(urn)), q("999"), q(LADName), q(fmt.Sprintf("%s%03d", k.number, estab[k.number])), q(name),
				q(k.typ), q(k.group), q(k.phase), strconv.Itoa(pupils), fsm,
				strconv.Itoa(int(math.Round(e))), strconv.Itoa(int(math.Round(n))), q(p.l.code), q("E14099901"),
				strconv.FormatFloat(ll[0], 'g', 15, 64), strconv.FormatFloat(ll[1], 'g', 15, 64))
			urn++
		}
	}
	return o.write(DatasetSchools, "services/gias_open_schools.csv", t.bytes(true))
}
