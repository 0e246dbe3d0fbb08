package catalog

import (
	"regexp"

	"commonground/ingest"
	"commonground/ingest/format"
)

// suppliers is the user's own lookup of where a council's suppliers are
// based (money against need, docs/SPENDING.md "Where suppliers are
// based"). Spending files carry no supplier postcode, and no national list
// maps suppliers to places, so there is no official source: the user names
// the file (a council's supplier list, a procurement extract, or one made
// by hand). The supplier_places view prefers it over matching by name.
func suppliers() []ingest.Dataset {
	digits := regexp.MustCompile(`^[0-9A-Za-z]{1,12}$`)
	spec := format.FileSpec{Kind: "suppliers", FileColumn: "source_file", NullTokens: []string{"NA", "N/A"}, Columns: []format.Column{
		checked(text("council_code", "council_code", "Council Code", "Organisation Code", "Local Authority Code"), gssCode),
		text("supplier_id", "supplier_id", "Supplier ID", "Supplier Reference", "Supplier Number", "Vendor ID"),
		required(text("supplier_name", "supplier_name", "Supplier Name", "Supplier", "Beneficiary Name", "Name")),
		checked(text("postcode", "postcode", "Supplier Postcode", "Postcode", "Post Code", "Postal Code"), postcodeRe),
		checked(text("company_number", "company_number", "Company Number", "Registered Company Number", "Companies House Number"), digits),
		checked(text("charity_number", "charity_number", "Charity Number", "Registered Charity Number"), digits),
	}}
	return []ingest.Dataset{{
		ID:          "suppliers",
		Title:       "Where council suppliers are based (your lookup)",
		Publisher:   "You: a lookup you load yourself",
		Licence:     "As the file's own licence",
		Attribution: "Supplier locations supplied by the user of this Commonground installation.",
		Description: "A lookup of council suppliers (by the council's supplier id, or by name) to a postcode, company number or charity number, used to place council spending in neighbourhoods. There is no official source: name your own CSV file.",
		LocalOnly:   true,
		Format:      "CSV: supplier_name (required header), supplier_id, council_code, postcode, company_number, charity_number",
		Geography:   "Postcode, or a charity or company the warehouse already places",
		Vintage:     "As supplied",
		Table:       "suppliers",
		Files:       []format.FileSpec{spec},
		Insert: `SELECT upper(council_code) AS council_code, supplier_id, supplier_name, upper(postcode) AS postcode,
			company_number, charity_number, source_file FROM stg_suppliers
			WHERE coalesce(supplier_id, supplier_name) IS NOT NULL`,
		Checks: ingest.Checks{MinRows: 1, MaxRows: 1_000_000},
	}}
}
