package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"commonground/ingest/custom"
	"commonground/warehouse"
)

const areasHelp = `Custom areas are boundaries you draw yourself (a Big Local area, a council's
localities). Each is stored with the LSOAs that make it up by best fit, as ONS
does: an LSOA belongs to the area when its centroid lies inside the boundary.
Every LSOA-based indicator can then be summed over it. See docs/CUSTOM_AREAS.md.

Subcommands:
  add [--name NAME] [--code CODE] FILE.geojson   add an area (all features of the file as one)
  add --each [--name-property PROP] FILE.geojson add each feature as its own area
  list                                           list custom areas
  show CODE                                      an area's LSOAs and their share of its population
  remove CODE                                    delete an area
  refresh [CODE...]                              redo the best fit after reloading boundaries or population

Load LSOA boundaries (and population) first: commonground ingest boundaries-lsoa11 …`

func runAreas(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(e.stderr, "Usage: commonground areas <subcommand> [flags]\n\n%s\n", areasHelp)
		return usageError{"name a subcommand: add, list, show, remove or refresh"}
	}
	switch args[0] {
	case "add":
		return runAreasAdd(ctx, e, args[1:])
	case "list":
		return runAreasList(ctx, e, args[1:])
	case "show":
		return runAreasShow(ctx, e, args[1:])
	case "remove":
		return runAreasRemove(ctx, e, args[1:])
	case "refresh":
		return runAreasRefresh(ctx, e, args[1:])
	case "-h", "--help", "-help", "help":
		fmt.Fprintf(e.stdout, "Usage: commonground areas <subcommand> [flags]\n\n%s\n", areasHelp)
		return flag.ErrHelp
	}
	return usageError{fmt.Sprintf("unknown subcommand %q: use add, list, show, remove or refresh", args[0])}
}

const areasAddHelp = `Reads a GeoJSON file (a FeatureCollection of Polygon or MultiPolygon features,
one Feature, or a bare geometry) in WGS84 longitude/latitude, or British
National Grid metres (converted), checks it, works out its LSOAs by best fit
for each LSOA vintage loaded, and stores it. Without --each, all features
form one area. Adding an area of the same code again replaces it.

Limits: 10 MB, 200,000 vertices, 5,000 km², within England.`

func runAreasAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "areas add", "areas add [--db PATH] [--name NAME] [--code CODE] [--each [--name-property PROP]] FILE.geojson", areasAddHelp)
	db := dbFlag(fs)
	name := fs.String("name", "", "the area's name (default: the feature's name property, for a file of one feature)")
	code := fs.String("code", "", "the area's code, ^[A-Z][A-Z0-9_-]{2,31}$ (default: X and 8 hex digits from the name and boundary)")
	each := fs.Bool("each", false, "add each feature of the file as its own area, named by --name-property")
	nameProp := fs.String("name-property", "", "feature property holding the name (default: the first of name, area_name)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError{"give one GeoJSON file"}
	}
	if *each && (*name != "" || *code != "") {
		return usageError{"--each names and codes each area from its feature: drop --name and --code (use --name-property)"}
	}
	if *code != "" {
		if err := custom.CheckCode(*code); err != nil {
			return usageError{err.Error()}
		}
	}
	file, err := custom.ReadFile(pos[0])
	if err != nil {
		return err
	}
	for _, n := range file.Notes {
		fmt.Fprintf(e.stderr, "note: %s: %s\n", filepath.Base(pos[0]), n)
	}
	var specs []custom.Spec
	if *each {
		for _, f := range file.Features {
			n := f.Name(*nameProp)
			if n == "" {
				prop := *nameProp
				if prop == "" {
					prop = "name or area_name"
				}
				return usageError{fmt.Sprintf("feature %d of %s has no %s property to name it: say which property holds names with --name-property", f.Index, pos[0], prop)}
			}
			specs = append(specs, custom.Spec{Name: n, Geometry: f.Geometry})
		}
	} else {
		n := *name
		if n == "" && len(file.Features) == 1 {
			n = file.Features[0].Name(*nameProp)
		}
		if n == "" {
			return usageError{fmt.Sprintf("give the area a --name (the file has %d feature%s; --each adds each as its own area)", len(file.Features), plural(len(file.Features)))}
		}
		specs = []custom.Spec{{Code: *code, Name: n, Geometry: file.Union()}}
	}
	// Check every area before storing any, so a bad feature stops the lot.
	for _, s := range specs {
		if err := custom.Check(s.Geometry); err != nil {
			return fmt.Errorf("%s: %s: %w", pos[0], s.Name, err)
		}
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	for i, s := range specs {
		a, err := custom.Add(ctx, w, s)
		if err != nil {
			if i > 0 {
				fmt.Fprintf(e.stderr, "(%d of %d areas were added before this error)\n", i, len(specs))
			}
			return err
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printArea(e.stdout, a)
		printWarnings(e.stderr, a)
	}
	return nil
}

func runAreasList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "areas list", "areas list [--db PATH]", "Lists custom areas with their LSOA counts, population and local authority.")
	db := dbFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"list takes no arguments"}
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{ReadOnly: true, Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	list, err := custom.List(ctx, w)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "No custom areas yet: add one with `commonground areas add --name NAME FILE.geojson`.")
		return nil
	}
	vintages := map[int]bool{}
	for _, s := range list {
		for v := range s.LSOAs {
			vintages[v] = true
		}
	}
	vs := make([]int, 0, len(vintages))
	for v := range vintages {
		vs = append(vs, v)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(vs)))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	head := []string{"CODE", "NAME"}
	for _, v := range vs {
		head = append(head, fmt.Sprintf("LSOAS %d", v))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "POPULATION", "YEAR", "LOCAL AUTHORITY"), "\t"))
	for _, s := range list {
		row := []string{s.Code, s.Name}
		for _, v := range vs {
			row = append(row, fmt.Sprint(s.LSOAs[v]))
		}
		pop, year := "", ""
		if s.Population.Valid {
			pop = thousands(s.Population.Int64)
		}
		if s.PopulationYear.Valid {
			year = fmt.Sprint(s.PopulationYear.Int64)
		}
		fmt.Fprintln(tw, strings.Join(append(row, pop, year, s.LADCode), "\t"))
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "(%d custom area%s)\n", len(list), plural(len(list)))
	return nil
}

func runAreasShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "areas show", "areas show [--db PATH] CODE", "Shows a custom area: its population, local authority, and the LSOAs that make it up with the share of its population each carries.")
	db := dbFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"give one area code (see `commonground areas list`)"}
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{ReadOnly: true, Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	a, err := custom.Show(ctx, w, pos[0])
	if err != nil {
		return notFoundHint(err)
	}
	printArea(e.stdout, a)
	printWarnings(e.stderr, a)
	return nil
}

func runAreasRemove(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "areas remove", "areas remove [--db PATH] CODE...", "Deletes custom areas and their LSOA make-up.")
	db := dbFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"give the code of the area to remove (see `commonground areas list`)"}
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	for _, code := range pos {
		if err := custom.Remove(ctx, w, code); err != nil {
			return notFoundHint(err)
		}
		fmt.Fprintf(e.stdout, "removed %s\n", code)
	}
	return nil
}

func runAreasRefresh(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "areas refresh", "areas refresh [--db PATH] [CODE...]",
		"Works out the make-up of custom areas (all, or those named) again from their boundaries, against the LSOA boundaries and population loaded now.")
	db := dbFlag(fs)
	codes, err := parse(fs, args)
	if err != nil {
		return err
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	if len(codes) == 0 {
		list, err := custom.List(ctx, w)
		if err != nil {
			return err
		}
		for _, s := range list {
			codes = append(codes, s.Code)
		}
	}
	for _, code := range codes {
		a, err := custom.Refresh(ctx, w, code)
		if err != nil {
			return notFoundHint(err)
		}
		fmt.Fprintf(e.stdout, "%s  %s: %s\n", a.Code, a.Name, makeUp(a))
		printWarnings(e.stderr, a)
	}
	if len(codes) == 0 {
		fmt.Fprintln(e.stdout, "No custom areas to refresh.")
	}
	return nil
}

func notFoundHint(err error) error {
	if errors.Is(err, custom.ErrNotFound) {
		return fmt.Errorf("%w (see `commonground areas list`)", err)
	}
	return err
}

// makeUp is "33 LSOAs 2021, 32 LSOAs 2011, population 61,234 (2021)".
func makeUp(a *custom.Area) string {
	var parts []string
	for _, v := range a.Vintages {
		parts = append(parts, fmt.Sprintf("%d LSOA%s %d", len(v.Members), plural(len(v.Members)), v.Vintage))
	}
	if a.Population.Valid {
		parts = append(parts, fmt.Sprintf("population %s (%d)", thousands(a.Population.Int64), a.PopulationYear))
	}
	return strings.Join(parts, ", ")
}

// printArea prints an area's summary and, for each LSOA vintage, the LSOAs
// that make it up with the share of its population each carries.
func printArea(w io.Writer, a *custom.Area) {
	fmt.Fprintf(w, "%s  %s\n", a.Code, a.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	lad := "unknown (no local authority is loaded for its LSOAs)"
	if a.LADCode != "" {
		lad = strings.TrimSpace(a.LADCode + " " + a.LADName)
		if a.LADShare > 0 && a.LADShare < 0.9995 {
			lad += fmt.Sprintf(" (%.1f%% of the area)", 100*a.LADShare)
		}
	}
	fmt.Fprintf(tw, "  local authority\t%s\n", lad)
	if a.Population.Valid {
		n := 0
		for _, v := range a.Vintages {
			if v.Vintage == a.PopulationVintage {
				n = len(v.Members)
			}
		}
		fmt.Fprintf(tw, "  population\t%s (%d, sum over its %d LSOA%s %d)\n", thousands(a.Population.Int64), a.PopulationYear, n, plural(n), a.PopulationVintage)
	} else {
		fmt.Fprintf(tw, "  population\tunknown (no population estimates are loaded for its LSOAs)\n")
	}
	var counts []string
	for _, v := range a.Vintages {
		counts = append(counts, fmt.Sprintf("%d (%d)", len(v.Members), v.Vintage))
	}
	fmt.Fprintf(tw, "  LSOAs\t%s, by best fit\n", strings.Join(counts, ", "))
	size := fmt.Sprintf("%.2f km²", a.AreaKm2)
	if a.AreaKm2 < 1 {
		size = fmt.Sprintf("%.2f ha", 100*a.AreaKm2)
	}
	fmt.Fprintf(tw, "  size\t%s, centre %.5f, %.5f\n", size, a.Centroid[0], a.Centroid[1])
	tw.Flush()
	for _, v := range a.Vintages {
		if len(v.Members) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n  LSOA %d: %d LSOA%s, %s people\n", v.Vintage, len(v.Members), plural(len(v.Members)), thousands(v.Population))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  CODE\tNAME\tPOPULATION\tSHARE\tMETHOD")
		for _, m := range v.Members {
			pop, share := "", ""
			if m.Population.Valid {
				pop = thousands(m.Population.Int64)
			}
			if m.Share.Valid {
				share = fmt.Sprintf("%.1f%%", 100*m.Share.Float64)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.Code, m.Name, pop, share, methodText(m.Method))
		}
		tw.Flush()
	}
}

func methodText(m string) string {
	switch m {
	case custom.MethodCentroid:
		return "centroid"
	case custom.MethodPWC:
		return "pop.-weighted centroid"
	case custom.MethodContaining:
		return "contains the area"
	}
	return m
}

func printWarnings(w io.Writer, a *custom.Area) {
	for _, s := range a.Warnings {
		fmt.Fprintf(w, "warning: %s (%s): %s\n", a.Code, a.Name, s)
	}
}
