package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"commonground/ingest"
	"commonground/ingest/catalog"
	"commonground/warehouse"
)

const ingestHelp = `Loads one dataset from the catalogue into the warehouse, through Arrow, with
provenance. Files or URLs given after the dataset id replace the catalogue's
default sources: a local copy, a council's own file, a directory, or a glob
("boundaries/*.json.gz"). Without them the official files are downloaded into
the cache (conditional GET, size cap, retries).

Each file is recognised by its header, so a dataset published as several files
(IoD2019 Files 1, 2, 6 and 7) takes them in one call. Rows that cannot be read
are kept in ingest_rejects with file, line, column and reason. A failed or
interrupted run leaves the previous version of the dataset in place.

Examples:
  commonground ingest imd2019 File_2_-_IoD2019_Domains_of_Deprivation.csv File_6.csv
  commonground ingest boundaries-lsoa11 'lsoa2011_by_lad/*.json.gz'
  commonground ingest --all
Run "commonground sources" for the dataset ids.`

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "ingest", "ingest [--db PATH] DATASET [FILE_OR_URL ...]\n       commonground ingest [--db PATH] --all", ingestHelp)
	db := dbFlag(fs)
	all := fs.Bool("all", false, "load every dataset in the catalogue from its official source")
	cache := fs.String("cache-dir", defaultCacheDir(), "where downloads are cached (env COMMONGROUND_CACHE)")
	// Dataset parameters (--council for spending) are flags too.
	params := map[string]*string{}
	for _, d := range catalog.All() {
		for _, p := range d.Params {
			if _, ok := params[p.Name]; !ok {
				params[p.Name] = fs.String(p.Name, "", p.Help+" (dataset "+d.ID+")")
			}
		}
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var jobs []job
	switch {
	case *all && len(pos) > 0:
		return usageError{"--all takes no dataset or files"}
	case *all:
		for _, d := range catalog.All() {
			if !d.LocalOnly { // the user's own lookups have no official source
				jobs = append(jobs, job{ds: d})
			}
		}
	case len(pos) == 0:
		fs.Usage()
		return usageError{"name a dataset (see `commonground sources`) or use --all"}
	default:
		d, err := catalog.ByID(pos[0])
		if err != nil {
			return usageError{err.Error()}
		}
		jobs = append(jobs, job{ds: d, files: pos[1:], params: map[string]string{}})
		for name, v := range params {
			if *v != "" {
				jobs[0].params[name] = *v
			}
		}
	}
	w, err := warehouse.Open(ctx, *db, warehouse.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	if err := syncCatalog(ctx, w); err != nil {
		return err
	}
	r := &ingest.Runner{DB: w, Fetcher: newFetcher(e, *cache), Logger: e.log, Version: version}
	return runJobs(ctx, e, r, jobs)
}

type job struct {
	ds     ingest.Dataset
	files  []string
	params map[string]string
}

// runJobs runs each job, carrying on past failures, and prints a summary.
func runJobs(ctx context.Context, e *env, r *ingest.Runner, jobs []job) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	var failed []string
	var errs []error
	var sums []ingest.Summary
	for _, j := range jobs {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		s, err := r.RunWith(ctx, j.ds, ingest.Request{Files: j.files, Params: j.params})
		if err != nil {
			failed = append(failed, j.ds.ID)
			errs = append(errs, err)
			if errors.Is(err, context.Canceled) {
				break
			}
			continue
		}
		sums = append(sums, s)
	}
	if len(sums) > 0 {
		fmt.Fprintln(tw, "DATASET\tROWS\tREJECTED\tFILES\tTIME")
		for _, s := range sums {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", s.Dataset, s.Rows, s.Rejected, len(s.Files), s.Duration.Round(time.Millisecond))
		}
		tw.Flush()
		for _, s := range sums {
			for _, w := range s.Warnings {
				fmt.Fprintf(e.stdout, "warning: %s: %s\n", s.Dataset, w)
			}
			for _, n := range s.Notes {
				fmt.Fprintf(e.stdout, "%s: %s\n", s.Dataset, n)
			}
			if s.Rejected > 0 {
				fmt.Fprintf(e.stdout, "%s: %d rejected rows; see them with:\n  commonground query \"SELECT file, line, \\\"column\\\", value, reason FROM ingest_rejects WHERE dataset = '%s' ORDER BY file, line\"\n", s.Dataset, s.Rejected, s.Dataset)
			}
		}
	}
	if len(errs) > 0 {
		if len(jobs) > 1 {
			return fmt.Errorf("%d of %d datasets failed (%s); their previous versions were kept:\n%w", len(failed), len(jobs), strings.Join(failed, ", "), errors.Join(errs...))
		}
		return errors.Join(errs...)
	}
	return nil
}

func syncCatalog(ctx context.Context, w *warehouse.DB) error {
	var infos []warehouse.DatasetInfo
	for _, d := range catalog.All() {
		infos = append(infos, warehouse.DatasetInfo{ID: d.ID, Title: d.Title, Publisher: d.Publisher, Licence: d.Licence,
			Attribution: d.Attribution, SourceURL: strings.Join(append([]string{d.Landing}, firstN(d.URLs, 3)...), "\n"),
			Format: d.Format, Geography: d.Geography, Vintage: d.Vintage, Table: d.Table, Description: d.Description})
	}
	return w.SyncDatasets(ctx, infos)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("(and %d more)", len(s)-n))
	}
	return s
}
