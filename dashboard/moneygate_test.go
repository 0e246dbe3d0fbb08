package dashboard_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"commonground/dashboard"
	"commonground/warehouse"
)

// The money gate lets through exactly the authorities with spending rows
// (or placed grants), and follows new data after DataChanged.
func TestMoneyGate(t *testing.T) {
	ctx := t.Context()
	db, err := warehouse.Open(ctx, filepath.Join(t.TempDir(), "m.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := dashboard.New(dashboard.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dashboard.MayHaveMoney(ctx, h, "E08000009") {
		t.Fatal("an empty warehouse has money for E08000009")
	}
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO spending (council_code, source_file, source_line, payment_date, supplier_name, amount)
		VALUES ('E08000009', 'x.csv', 2, DATE '2024-03-01', 'A supplier', 600)`); err != nil {
		t.Fatal(err)
	}
	h.DataChanged()
	if !dashboard.MayHaveMoney(ctx, h, "E08000009") || dashboard.MayHaveMoney(ctx, h, "E08000003") {
		t.Fatal("after a spending row for E08000009: gate wrong")
	}
}
