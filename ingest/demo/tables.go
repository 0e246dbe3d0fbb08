package demo

import (
	"slices"
	"strconv"
	"strings"
)

// Headers of the lookup, postcode and population files.
var (
	headLookupLSOAWard = []string{"LSOA11CD", "LSOA11NM", "WD21CD", "WD21NM", "LAD21CD", "LAD21NM"}
	headLookupOA       = []string{"OA11CD", "OAC11CD", "OAC11NM", "LSOA11CD", "LSOA11NM", "SOAC11CD", "SOAC11NM", "MSOA11CD", "MSOA11NM", "LAD17CD", "LAD17NM", "LACCD", "LACNM", "RGN11CD", "RGN11NM", "CTRY11CD", "CTRY11NM", "FID"}
	headPostcodes      = []string{"postcode", "ward_code", "ward_name", "msoa_code", "msoa_hcl_name", "lsoa_code", "lsoa_name", "locality", "la_code", "la_name", "lon", "lat"}
	headSAPE           = []string{"Area Codes", "All Ages"}
	headCensus21       = []string{"lsoa21_code", "lsoa21_name", "age_group", "usual_residents"}
	// Census 2021 six age bands, as labelled in the derived ONS file.
	ageGroups21 = []string{"Aged 15 years and under", "Aged 16 to 24 years", "Aged 25 to 34 years", "Aged 35 to 49 years", "Aged 50 to 64 years", "Aged 65 years and over"}
)

// writeLookups writes the ONS lookups: LSOA -> ward -> LAD (UTF-8 BOM, LF,
// rows grouped by ward) and OA -> LSOA -> MSOA -> LAD -> region (UTF-8 BOM,
// LF, trailing FID column).
func (w *world) writeLookups(o *output) error {
	t := newTable(true, "\n")
	t.row(headLookupLSOAWard...)
	for _, wd := range w.wards {
		for _, l := range wd.lsoas {
			t.row(all(a, l.code, l.name, wd.code, wd.name, LADCode, LADName)...)
		}
	}
	if err := o.write(DatasetLookupLSOAWard, "lookups/LSOA11_WD21_LAD21_EW_LU.csv", t.bytes(true)); err != nil {
		return err
	}

	t = newTable(true, "\n")
	t.row(headLookupOA...)
	for i, oa := range w.oas {
		l := oa.lsoa
		t.row(all(a, oa.code, oa.oac.code, oa.oac.name, l.code, l.name, l.soac[0], l.soac[1],
			l.msoa.code, l.msoa.name, LADCode, LADName, "3b2r", "Seaside Living",
			"E12000002", "North West", "E92000001", "England", strconv.Itoa(i+1))...)
	}
	return o.write(DatasetLookupOA, "lookups/OA11_OAC11_LSOA11_MSOA11_LAD17_RGN11_UK_lookup.csv", t.bytes(true))
}

// writePostcodes writes the postcode directory extract in the Trafford Data
// Lab layout (ONSPD-derived, LF, no quoting).
func (w *world) writePostcodes(o *output) error {
	t := newTable(false, "\n")
	t.row(headPostcodes...)
	for _, pc := range w.pcs {
		l := pc.lsoa
		t.row(all(a, pc.code, l.ward.code, l.ward.name, l.msoa.code, l.msoa.hclName, l.code, l.name,
			l.ward.locality, LADCode, LADName, num(pc.ll[0]), num(pc.ll[1]))...)
	}
	return o.write(DatasetPostcodes, "lookups/postcodes.csv", t.bytes(true))
}

// writePopulation writes the mid-2017 small area estimates (SAPE20DT1: the
// authority row first, then its LSOAs; counts quoted with thousands
// separators; CRLF) and the Census 2021 six-band table (long layout, R
// write.csv quoting, LF).
func (w *world) writePopulation(o *output) error {
	t := newTable(false, "\r\n")
	t.row(headSAPE...)
	total := 0
	for _, l := range w.lsoas {
		total += l.pop2017
	}
	t.row(LADCode, a(thousands(total)))
	for _, l := range w.lsoas {
		t.row(l.code, a(thousands(l.pop2017)))
	}
	if err := o.write(DatasetPopulationSAPE, "population/sape_mid2017.csv", t.bytes(true)); err != nil {
		return err
	}

	t = newTable(false, "\n")
	t.row(all(q, headCensus21...)...)
	for _, l := range w.lsoas {
		for i, g := range ageGroups21 {
			t.row(q(l.code), q(l.name), q(g), strconv.Itoa(l.ages2021[i]))
		}
	}
	return o.write(DatasetPopulationCensus, "population/census21_pop_lsoa21_age6.csv", t.bytes(true))
}

// pickLSOAs draws n distinct LSOAs with probability proportional to weight.
func pickLSOAs(ls []*lsoa, n int, weight func(*lsoa) float64, r interface{ Float64() float64 }) []*lsoa {
	pool := slices.Clone(ls)
	var out []*lsoa
	for len(out) < n && len(pool) > 0 {
		sum := 0.0
		for _, l := range pool {
			sum += weight(l)
		}
		x := r.Float64() * sum
		k := len(pool) - 1
		for i, l := range pool {
			x -= weight(l)
			if x < 0 {
				k = i
				break
			}
		}
		out = append(out, pool[k])
		pool = slices.Delete(pool, k, k+1)
	}
	return out
}

// slug turns a name into a lower-case identifier ("St Anne's Youth Club" ->
// "st_annes_youth_club").
func slug(s string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			under = false
		case c == '\'' || c == '\u2019':
		default:
			if !under && b.Len() > 0 {
				b.WriteByte('_')
				under = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}
