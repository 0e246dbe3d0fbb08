package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"commonground/queries"
	"commonground/warehouse"
)

const gapsHelp = `Service gaps: provision against need (docs/METHODS.md).

  gaps refresh   rebuild the service_access table from services, areas,
                 population and imd (serve and ingest do this when it is stale)
  gaps types     list the service types with their distance thresholds`

func runGaps(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "gaps", "gaps [--db PATH] refresh|types", gapsHelp)
	db := dbFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError{"give one of: refresh, types"}
	}
	switch pos[0] {
	case "types":
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "service\tcategory\tX (km)\tpopulation\tneed")
		for _, t := range queries.ServiceTypes {
			fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%s\n", t.Key, t.Category, t.ThresholdKm, t.PopulationGroup(), queries.NeedName(t.NeedDomain))
		}
		return tw.Flush()
	case "refresh":
		w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log})
		if err != nil {
			return err
		}
		defer w.Close()
		b, err := queries.RefreshAccess(ctx, w)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "service_access: %d rows for %d service types in %v\n", b.Rows, b.Types, b.Duration.Round(1e6))
		return nil
	}
	return usageError{"unknown gaps command " + pos[0] + "; give refresh or types"}
}
