package catalog_test

import (
	"path/filepath"
	"strings"
	"testing"

	"commonground/ingest/catalog"
	"commonground/ingest/format"
	"commonground/warehouse"
)

// The ids are a contract: docs, tests and users rely on them.
func TestCatalogIDs(t *testing.T) {
	want := []string{"imd2019", "imd2025", "boundaries-lsoa11", "boundaries-lsoa21", "boundaries-msoa21", "boundaries-ward",
		"boundaries-lad", "lookup-lsoa-ward-lad", "lookup-oa", "postcodes", "population-sape", "population-census2021",
		"gp-practices", "pharmacies", "schools", "spending", "grants", "gm-libraries", "gm-food-banks", "gm-pharmacies", "gm-dentists",
		"gm-jobcentres", "gm-post-offices", "trafford-gp-practices", "trafford-schools", "trafford-childrens-centres",
		"trafford-allotments", "trafford-places-of-worship", "trafford-sports-facilities", "trafford-charities"}
	for _, id := range want {
		if _, err := catalog.ByID(id); err != nil {
			t.Error(err)
		}
	}
	if _, err := catalog.ByID("nope"); err == nil || !strings.Contains(err.Error(), "imd2019") {
		t.Errorf("unknown id error should list the ids, got %v", err)
	}
}

func TestCatalogValidates(t *testing.T) {
	if err := catalog.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Every dataset's Insert, Replace and Derive SQL must run against empty
// staging tables and the real schema: a typo fails here, not on a user's load.
func TestCatalogSQLCompiles(t *testing.T) {
	ctx := t.Context()
	db, err := warehouse.Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, d := range catalog.All() {
		t.Run(d.ID, func(t *testing.T) {
			l, err := db.BeginLoad(ctx, warehouse.RunInfo{Dataset: d.ID})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for _, f := range d.Files {
				if err := l.CreateStaging(ctx, f.Kind, format.Schema(f)); err != nil {
					t.Fatal(err)
				}
			}
			var n int64
			if err := l.QueryRow(ctx, "SELECT count(*) FROM ("+d.Insert+")", &n); err != nil {
				t.Fatalf("insert SQL: %v\n%s", err, d.Insert)
			}
			if _, err := l.Commit(ctx, warehouse.Swap{Table: d.Table, Replace: d.Replace, Insert: d.Insert, Derive: d.Derive}, warehouse.RunResult{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
