package queries

import "testing"

// BenchmarkMoneyReport is one uncached money-against-need report for
// Trafford's wards on the real data (docs/PERFORMANCE.md, issue 7).
func BenchmarkMoneyReport(b *testing.B) {
	db := moneyDB(b)
	for b.Loop() {
		if _, err := money(b.Context(), db, "E08000009", LevelWard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMoneyReportCached is the same report once computed, as pages get it.
func BenchmarkMoneyReportCached(b *testing.B) {
	db := moneyDB(b)
	if _, err := Money(b.Context(), db, "E08000009", LevelWard); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Money(b.Context(), db, "E08000009", LevelWard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSupplierPlaces reads the supplier_places view in full: the name
// matching behind every money figure.
func BenchmarkSupplierPlaces(b *testing.B) {
	db := moneyDB(b)
	for b.Loop() {
		var n int
		if err := db.SQL().QueryRowContext(b.Context(), `SELECT count(*) FROM supplier_places WHERE status = 'local'`).Scan(&n); err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
}
