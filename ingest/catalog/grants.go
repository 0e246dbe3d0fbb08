package catalog

import (
	"context"
	"fmt"

	"commonground/ingest"
	"commonground/ingest/format"
)

// grantsSpec is the one layout of the grants dataset. The CSV form is the
// 360Giving flattened spreadsheet: headers are titles with colons
// ("Recipient Org:Identifier"), or JSON paths ("recipientOrganization/0/id")
// in files flattened by path; header matching ignores punctuation. The JSON
// form (Giving360) fills the same columns by name from the reader's fixed
// JSON path table (format.Giving360Path). docs/GRANTS.md lists both.
func grantsSpec() format.FileSpec {
	decimal := func(name string, aliases ...string) format.Column {
		return format.Column{Name: name, Type: format.Decimal, Scale: 2, Aliases: aliases}
	}
	date := func(name string, aliases ...string) format.Column {
		return format.Column{Name: name, Type: format.Date, Aliases: aliases}
	}
	return format.FileSpec{Kind: "grants", Giving360: true, FileColumn: "source_file", Columns: []format.Column{
		key(text("identifier", "Identifier", "id"), nil),
		text("title", "Title"),
		text("description", "Description"),
		text("currency", "Currency"),
		key(decimal("amount_awarded", "Amount Awarded"), nil),
		key(date("award_date", "Award Date"), nil),
		text("recipient_org_id", "Recipient Org:Identifier", "recipientOrganization/0/id"),
		text("recipient_org_name", "Recipient Org:Name", "recipientOrganization/0/name"),
		text("recipient_charity_number", "Recipient Org:Charity Number", "recipientOrganization/0/charityNumber"),
		text("recipient_company_number", "Recipient Org:Company Number", "recipientOrganization/0/companyNumber"),
		text("recipient_postcode", "Recipient Org:Postal Code", "recipientOrganization/0/postalCode"),
		text("funding_org_id", "Funding Org:Identifier", "fundingOrganization/0/id"),
		text("funding_org_name", "Funding Org:Name", "fundingOrganization/0/name"),
		text("programme", "Grant Programme:Title", "grantProgramme/0/title"),
		// Only the first beneficiary location of a CSV row is read.
		text("beneficiary_location_name", "Beneficiary Location:Name", "Beneficiary Location:0:Name"),
		text("beneficiary_code", "Beneficiary Location:Geographic Code", "Beneficiary Location:0:Geographic Code", "beneficiaryLocation/0/geoCode"),
		text("beneficiary_code_type", "Beneficiary Location:Geographic Code Type", "Beneficiary Location:0:Geographic Code Type", "beneficiaryLocation/0/geoCodeType"),
	}}
}

// grantsInsert places each staged grant (docs/GRANTS.md, "Placing grants
// on the map"):
//  1. a beneficiary code that is a ward known to the warehouse (areas at
//     level ward, else the LSOA→ward lookup) gives ward_code and its lad_code;
//  2. a local authority code (E06–E09, W06) gives lad_code;
//  3. otherwise the recipient's postcode, found in postcodes, gives
//     lsoa21_code, ward_code and lad_code;
//  4. otherwise the grant is loaded unlocated.
//
// The lookups are cut down to the codes and postcodes staged, and made
// one row per key, so that the join can never multiply grants.
const grantsInsert = `WITH g AS (
  SELECT *, upper(beneficiary_code) AS b_code, upper(replace(recipient_postcode, ' ', '')) AS p_key FROM stg_grants
), ward AS (
  SELECT ward_code, coalesce(max(lad_code) FILTER (WHERE src = 'areas'), max(lad_code) FILTER (WHERE src = 'lookup')) AS lad_code
  FROM (
    SELECT code AS ward_code, lad_code, 'areas' AS src FROM store.main.areas
    WHERE level = 'ward' AND code IN (SELECT b_code FROM g)
    UNION ALL
    SELECT ward_code, lad_code, 'lookup' FROM store.main.lookup_lsoa_ward_lad
    WHERE ward_code IN (SELECT b_code FROM g)
  ) GROUP BY ward_code
), pc AS (
  SELECT postcode_key, lsoa21_code, ward_code, lad_code FROM store.main.postcodes
  WHERE postcode_key IN (SELECT p_key FROM g)
  QUALIFY row_number() OVER (PARTITION BY postcode_key ORDER BY terminated NULLS FIRST, postcode) = 1
), placed AS (
  SELECT g.*,
    CASE WHEN w.ward_code IS NOT NULL THEN 'ward'
         WHEN regexp_full_match(coalesce(g.b_code, ''), '(E0[6-9]|W06)[0-9]{6}') THEN 'lad'
         WHEN p.postcode_key IS NOT NULL THEN 'postcode' END AS how,
    w.lad_code AS w_lad, p.lsoa21_code AS p_lsoa, p.ward_code AS p_ward, p.lad_code AS p_lad
  FROM g LEFT JOIN ward w ON w.ward_code = g.b_code LEFT JOIN pc p ON p.postcode_key = g.p_key
)
SELECT 'grants' AS dataset, identifier, title, description, currency, amount_awarded, award_date,
  recipient_org_id, recipient_org_name, recipient_charity_number, recipient_company_number, recipient_postcode,
  funding_org_id, funding_org_name, programme, beneficiary_location_name, beneficiary_code, beneficiary_code_type,
  CASE how WHEN 'ward' THEN 'beneficiary_code' WHEN 'lad' THEN 'beneficiary_code'
           WHEN 'postcode' THEN 'recipient_postcode' ELSE 'unlocated' END AS location_source,
  CASE how WHEN 'postcode' THEN p_lsoa END AS lsoa21_code,
  CASE how WHEN 'ward' THEN b_code WHEN 'postcode' THEN p_ward END AS ward_code,
  CASE how WHEN 'ward' THEN w_lad WHEN 'lad' THEN b_code WHEN 'postcode' THEN p_lad END AS lad_code,
  source_file
FROM placed`

// grantsReplace is what a load replaces: grants with the identifiers being
// loaded (so the CSV and JSON forms of one file, or a grant moved between
// files, never duplicate), and grants loaded before from a file of the same
// name and the same funder (so grants a publisher has withdrawn go). Other
// publishers' grants stay.
const grantsReplace = `dataset = 'grants' AND (
  identifier IN (SELECT identifier FROM stg_grants)
  OR EXISTS (SELECT 1 FROM stg_grants s WHERE s.source_file = grants.source_file
             AND s.funding_org_id IS NOT DISTINCT FROM grants.funding_org_id))`

// countGrantPlacements reports how the staged grants were placed, as a run
// warning.
func countGrantPlacements(ctx context.Context, st *ingest.Staging) error {
	var code, postcode, unlocated int64
	q := `SELECT count(*) FILTER (WHERE location_source = 'beneficiary_code'),
	count(*) FILTER (WHERE location_source = 'recipient_postcode'),
	count(*) FILTER (WHERE location_source = 'unlocated') FROM (` + grantsInsert + `)`
	if err := st.QueryRow(ctx, q, &code, &postcode, &unlocated); err != nil {
		return fmt.Errorf("count grant placements: %w", err)
	}
	st.Note("mapped: by beneficiary code %d, by recipient postcode %d, unlocated %d", code, postcode, unlocated)
	st.SetLocated(code+postcode, unlocated)
	return nil
}

func grants() []ingest.Dataset {
	return []ingest.Dataset{{
		ID:          "grants",
		Title:       "Grants (360Giving Data Standard)",
		Publisher:   "Trafford Metropolitan Borough Council (default source); any 360Giving publisher",
		Licence:     ogl,
		Attribution: "Contains public sector information licensed under the Open Government Licence v3.0. Grants data published by Trafford Council to the 360Giving Data Standard.",
		Description: "Grants in the 360Giving Data Standard, from the flattened CSV or the JSON package ({\"grants\": [...]}), placed on the map by beneficiary location code (ward or local authority) or else by the recipient's postcode. The default source is Trafford Council's voluntary sector grants; give any publisher's files instead. A load replaces grants with the same identifiers, and earlier grants from a file of the same name and funder; other publishers' grants stay. See docs/GRANTS.md.",
		Landing:     "https://www.threesixtygiving.org/data/",
		URLs: []string{
			"https://raw.githubusercontent.com/traffordDataLab/council_open_data/e30a28b580643c8cc5a0fe67760ffa7521cd3a05/transparency_code/grants/trafford_council_voluntary_sector_grants.csv",
		},
		Format:     "CSV (360Giving flattened) or 360Giving JSON",
		Geography:  "Beneficiary ward or local authority, else recipient postcode (LSOA 2021, ward, local authority)",
		Vintage:    "As published (default source: Trafford, 2013–2024)",
		Table:      "grants",
		Files:      []format.FileSpec{grantsSpec()},
		Repeat:     true,
		Accumulate: true,
		Replace:    grantsReplace,
		Insert:     grantsInsert,
		Enrich:     countGrantPlacements,
		Checks:     ingest.Checks{MinRows: 500, MaxRows: 1_000_000, Unique: []string{"identifier"}},
	}}
}
