package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"commonground/ingest/format"
	"commonground/ingest/source"
	"commonground/warehouse"
)

// Runner loads datasets into the warehouse. It is not safe for concurrent
// use: run one dataset at a time (the warehouse has a single writer).
type Runner struct {
	DB      *warehouse.DB
	Fetcher *source.Fetcher
	Logger  *slog.Logger
	// Synthetic marks the runs as demo data.
	Synthetic bool
	Version   string
}

// Summary is what a successful run loaded.
type Summary struct {
	Dataset  string
	RunID    int64
	Rows     int64
	Rejected int64
	Files    []warehouse.FileRecord
	Warnings []string
	Notes    []string
	// Located and Unlocated are set for located datasets.
	Located, Unlocated *int64
	Duration           time.Duration
}

// reader is what both the CSV and the geometry readers provide.
type reader interface {
	array.RecordReader
	Rejects() []format.Reject
	Stats() format.Stats
}

// Run loads ds from args (local files, directories, globs or URLs), or from
// its official URLs when args is empty. On any error the previous version
// of the dataset stays in place and the run is recorded as failed.
func (r *Runner) Run(ctx context.Context, ds Dataset, args []string) (Summary, error) {
	return r.RunWith(ctx, ds, Request{Files: args})
}

// Request is one run's inputs.
type Request struct {
	Files  []string
	Params map[string]string
}

// RunWith is Run with per-run parameters.
func (r *Runner) RunWith(ctx context.Context, ds Dataset, req Request) (Summary, error) {
	sum, err := r.load(ctx, ds, req)
	if err != nil || ds.After == nil {
		return sum, err
	}
	note, aerr := ds.After(ctx, r.DB)
	switch {
	case aerr != nil:
		log := r.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Error("post-load step failed", "dataset", ds.ID, "err", aerr)
		sum.Warnings = append(sum.Warnings, "post-load step failed: "+aerr.Error())
	case note != "":
		sum.Notes = append(sum.Notes, note)
	}
	return sum, nil
}

func (r *Runner) load(ctx context.Context, ds Dataset, req Request) (Summary, error) {
	start := time.Now()
	args := req.Files
	if err := checkParams(ds, req.Params); err != nil {
		return Summary{}, fmt.Errorf("ingest %s: %w", ds.ID, err)
	}
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	official := len(args) == 0
	if official && ds.LocalOnly {
		return Summary{}, fmt.Errorf("ingest %s: there is no official source for this dataset: name your own file", ds.ID)
	}
	if official {
		args = ds.URLs
	}
	paths, err := source.Resolve(args)
	if err != nil {
		return Summary{}, fmt.Errorf("ingest %s: %w", ds.ID, err)
	}
	l, err := r.DB.BeginLoad(ctx, warehouse.RunInfo{Dataset: ds.ID, Synthetic: r.Synthetic, ToolVersion: r.Version})
	if err != nil {
		return Summary{}, fmt.Errorf("ingest %s: %w", ds.ID, err)
	}
	defer l.Close()

	var res warehouse.RunResult
	fail := func(err error) (Summary, error) {
		err = fmt.Errorf("ingest %s: %w", ds.ID, err)
		if ferr := l.Fail(ctx, err, res); ferr != nil {
			log.Error("could not record the failed run", "dataset", ds.ID, "err", ferr)
		}
		return Summary{}, err
	}
	maxRate := ds.Checks.MaxRejectRate
	if maxRate == 0 {
		maxRate = 0.5
	}
	if len(paths) == 1 && len(ds.Files) == 1 && ds.Enrich == nil && !ds.Files[0].Geometry && !ds.Files[0].Giving360 {
		sum, handled, err := r.runDirect(ctx, l, ds, req, paths[0], official, maxRate, &res, log, start)
		if handled {
			if err != nil {
				return fail(err)
			}
			return sum, nil
		}
	}
	for _, spec := range ds.Files {
		if err := l.CreateStaging(ctx, spec.Kind, format.Schema(spec)); err != nil {
			return fail(err)
		}
	}
	seenKind := map[string]string{}
	var hashes []string
	for _, arg := range paths {
		src, err := r.Fetcher.Open(ctx, arg)
		if err != nil {
			return fail(err)
		}
		res.Source = append(res.Source, src.Source)
		res.Bytes += src.Bytes
		hashes = append(hashes, src.SHA256)
		if src.FromCache {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: could not refresh; used the cached copy fetched %s", src.Source, src.FetchedAt.Format(time.DateOnly)))
		}
		files, err := r.readSource(ctx, l, ds, src, seenKind)
		if err != nil {
			return fail(err)
		}
		for _, f := range files {
			res.Files = append(res.Files, f.record)
			res.Rejected += f.record.Rejected
			for _, rj := range f.rejects {
				res.Rejects = append(res.Rejects, warehouse.Reject{File: rj.File, Line: int64(rj.Line), Column: rj.Column, Value: rj.Value, Reason: rj.Reason})
			}
			log.Debug("read file", "dataset", ds.ID, "file", f.record.File, "kind", f.record.Kind, "encoding", f.record.Encoding,
				"rows", f.record.Rows, "rejected", f.record.Rejected)
			if dl := f.record.DataLines; dl > 0 && float64(f.record.Rejected)/float64(dl) > maxRate {
				first := ""
				if len(f.rejects) > 0 {
					first = "; first: " + f.rejects[0].String()
				}
				return fail(fmt.Errorf("%s: %d of %d rows rejected, more than %.0f%% — is this the right file for %s?%s",
					f.record.File, f.record.Rejected, dl, maxRate*100, ds.ID, first))
			}
		}
	}
	if len(res.Files) == 0 {
		return fail(errors.New("no data files found in the sources given"))
	}
	res.SHA256 = combinedHash(hashes)
	var fileNames []string
	for _, f := range res.Files {
		fileNames = append(fileNames, f.File)
	}
	ds.Replace = substitute(ds.Replace, req.Params, fileNames)
	ds.Insert = substitute(ds.Insert, req.Params, fileNames)
	derive := make([]string, len(ds.Derive))
	for i, d := range ds.Derive {
		derive[i] = substitute(d, req.Params, fileNames)
	}
	ds.Derive = derive
	if ds.Enrich != nil {
		st := &Staging{load: l, log: log, Dataset: ds.ID, Params: req.Params, Files: fileNames}
		if err := ds.Enrich(ctx, st); err != nil {
			res.Rejects = append(res.Rejects, toWarehouseRejects(st.rejects)...)
			return fail(err)
		}
		res.Rejects = append(res.Rejects, toWarehouseRejects(st.rejects)...)
		res.Rejected += int64(len(st.rejects))
		res.Warnings = append(res.Warnings, st.warnings...)
		res.Notes = append(res.Notes, st.notes...)
		if st.located != nil {
			res.Located, res.Unlocated = &st.located[0], &st.located[1]
		}
	}

	var n int64
	if err := l.QueryRow(ctx, "SELECT count(*) FROM ("+ds.Insert+")", &n); err != nil {
		return fail(fmt.Errorf("check rows: %w", err))
	}
	if len(ds.Checks.Unique) > 0 {
		var dups int64
		var example string
		key := strings.Join(ds.Checks.Unique, ", ")
		q := fmt.Sprintf("SELECT count(*), coalesce(min(k::VARCHAR), '') FROM (SELECT (%s) AS k FROM (%s) GROUP BY ALL HAVING count(*) > 1)", key, ds.Insert)
		if err := l.QueryRow(ctx, q, &dups, &example); err != nil {
			return fail(fmt.Errorf("check unique %s: %w", key, err))
		}
		if dups > 0 {
			return fail(fmt.Errorf("%d values of (%s) appear more than once, e.g. %s; were two files of the same layout given?", dups, key, example))
		}
	}
	if c := ds.Checks; (c.MinRows > 0 && n < c.MinRows) || (c.MaxRows > 0 && n > c.MaxRows) {
		msg := fmt.Sprintf("%d rows, expected %d to %d for the full official dataset", n, c.MinRows, c.MaxRows)
		switch {
		case official:
			return fail(errors.New(msg))
		case !r.Synthetic: // the demo area is small by design
			res.Warnings = append(res.Warnings, msg+" (fine for a subset or your own extract)")
		}
	}
	if ds.Accumulate {
		res.RejectFiles = fileNames
	}
	loaded, err := l.Commit(ctx, warehouse.Swap{Table: ds.Table, Replace: ds.Replace, Insert: ds.Insert, Derive: ds.Derive}, res)
	if err != nil {
		return fail(err)
	}
	sum := Summary{Dataset: ds.ID, RunID: l.RunID(), Rows: loaded, Rejected: res.Rejected, Files: res.Files,
		Warnings: res.Warnings, Notes: res.Notes, Located: res.Located, Unlocated: res.Unlocated, Duration: time.Since(start)}
	log.Info("ingested", "dataset", ds.ID, "table", ds.Table, "rows", loaded, "rejected", res.Rejected,
		"files", len(res.Files), "duration_ms", sum.Duration.Milliseconds())
	return sum, nil
}

func combinedHash(hashes []string) string {
	if len(hashes) == 1 {
		return hashes[0]
	}
	h := sha256.New()
	for _, s := range hashes {
		io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type fileResult struct {
	record  warehouse.FileRecord
	rejects []format.Reject
}

// skipMember reports container members that are not data (readme files,
// shapefile sidecars handled by the shapefile reader, and so on).
func skipMember(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt", ".json", ".geojson", ".topojson", ".xlsx", "":
		return strings.EqualFold(name, "readme.txt")
	}
	return true
}

func (r *Runner) readSource(ctx context.Context, l *warehouse.Load, ds Dataset, src source.Result, seenKind map[string]string) ([]fileResult, error) {
	entries, err := format.OpenEntries(src.Path)
	if err != nil {
		return nil, err
	}
	var geo bool
	for _, f := range ds.Files {
		geo = geo || f.Geometry
	}
	if geo {
		for _, e := range entries {
			if strings.EqualFold(filepath.Ext(e.Name), ".shp") {
				return r.readShapefile(ctx, l, ds, src, seenKind)
			}
		}
	}
	var out []fileResult
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !e.XLSX && skipMember(e.Name) {
			continue
		}
		fr, err := r.readEntry(ctx, l, ds, src, e, geo, seenKind)
		if err != nil {
			return nil, err
		}
		out = append(out, fr)
	}
	return out, nil
}

func (r *Runner) readEntry(ctx context.Context, l *warehouse.Load, ds Dataset, src source.Result, e format.Entry, geo bool, seenKind map[string]string) (fileResult, error) {
	if !geo && e.XLSX {
		return r.readXLSX(ctx, l, ds, src, e, seenKind)
	}
	head, err := readHead(e, 256<<10)
	if err != nil {
		return fileResult{}, err
	}
	// A dataset with both GeoJSON and CSV layouts (services published in
	// both forms) reads each file as what it is: JSON as GeoJSON, anything
	// else as CSV against the layouts without geometry.
	if geo && !startsLikeJSON(head) {
		if text := textLayouts(ds.Files); len(text) > 0 {
			geo, ds.Files = false, text
		}
	}
	if !geo && format.IsXLSX(head) {
		return r.readXLSX(ctx, l, ds, src, e, seenKind)
	}
	if !geo && bytes.IndexByte(head, 0) >= 0 && !bytes.HasPrefix(head, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return fileResult{}, &format.ParseError{File: e.Name, Err: errors.New("contains NUL bytes, so it is not text in an encoding Commonground reads (UTF-16 without a byte-order mark?); save it as CSV UTF-8")}
	}
	var spec format.FileSpec
	topo, g360 := false, false
	if geo {
		topo = format.IsTopoJSON(head)
		spec, err = identifyGeo(head, e.Name, ds.Files)
	} else {
		// A dataset with a 360Giving kind reads a JSON object as a 360Giving package.
		for _, f := range ds.Files {
			if f.Giving360 && format.LooksLikeJSONObject(head) {
				spec, g360 = f, true
				break
			}
		}
		if !g360 {
			spec, err = format.Identify(bytes.NewReader(head), e.Name, ds.Files)
		}
	}
	if err != nil {
		return fileResult{}, err
	}
	if prev, ok := seenKind[spec.Kind]; ok && !ds.Repeat {
		return fileResult{}, fmt.Errorf("%s and %s are both %s files; give one", prev, e.Name, spec.Kind)
	}
	seenKind[spec.Kind] = e.Name
	rc, err := e.Open()
	if err != nil {
		return fileResult{}, err
	}
	defer rc.Close()
	var rdr reader
	switch {
	case topo:
		rdr, err = format.NewTopoJSONReader(rc, e.Name, spec, ds.TopoObject)
	case geo:
		rdr, err = format.NewGeoJSONReader(rc, e.Name, spec)
	case g360:
		rdr, err = format.New360GivingReader(rc, e.Name, spec)
	default:
		rdr, err = format.NewCSVReader(rc, e.Name, spec)
	}
	if err != nil {
		return fileResult{}, err
	}
	defer rdr.Release()
	return stage(ctx, l, src, e.Name, spec, rdr)
}

// readXLSX reads an Excel workbook: from its own path, or from a copy in a
// temporary file when it is a zip member.
func (r *Runner) readXLSX(ctx context.Context, l *warehouse.Load, ds Dataset, src source.Result, e format.Entry, seenKind map[string]string) (fileResult, error) {
	path := e.Path
	if path == "" {
		tmp, err := os.CreateTemp("", "commonground-*.xlsx")
		if err != nil {
			return fileResult{}, err
		}
		defer os.Remove(tmp.Name())
		rc, err := e.Open()
		if err == nil {
			_, err = io.Copy(tmp, rc)
			rc.Close()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fileResult{}, err
		}
		path = tmp.Name()
	}
	spec, err := format.IdentifyXLSX(path, e.Name, ds.Files)
	if err != nil {
		return fileResult{}, err
	}
	if prev, ok := seenKind[spec.Kind]; ok && !ds.Repeat {
		return fileResult{}, fmt.Errorf("%s and %s are both %s files; give one", prev, e.Name, spec.Kind)
	}
	seenKind[spec.Kind] = e.Name
	rdr, err := format.NewXLSXReader(path, e.Name, spec)
	if err != nil {
		return fileResult{}, err
	}
	defer rdr.Release()
	return stage(ctx, l, src, e.Name, spec, rdr)
}

func stage(ctx context.Context, l *warehouse.Load, src source.Result, name string, spec format.FileSpec, rdr reader) (fileResult, error) {
	n, err := l.Stage(ctx, spec.Kind, rdr)
	if err != nil {
		// A reader error surfaces through the Arrow scan; report the
		// reader's own (it names the file and line).
		if rerr := rdr.Err(); rerr != nil {
			return fileResult{}, rerr
		}
		return fileResult{}, fmt.Errorf("%s: %w", name, err)
	}
	st := rdr.Stats()
	return fileResult{
		record: warehouse.FileRecord{File: name, Source: src.Source, Kind: spec.Kind, SHA256: src.SHA256, Bytes: src.Bytes,
			Encoding: st.Encoding, DataLines: int64(st.DataLines), Rows: n, Rejected: int64(st.Rejected)},
		rejects: rdr.Rejects(),
	}, nil
}

func (r *Runner) readShapefile(ctx context.Context, l *warehouse.Load, ds Dataset, src source.Result, seenKind map[string]string) ([]fileResult, error) {
	name := filepath.Base(src.Path)
	// A shapefile's attributes are only known after opening; try each
	// geometry layout in turn and keep the first that recognises it.
	var lastErr error
	for _, spec := range ds.Files {
		if !spec.Geometry {
			continue
		}
		rdr, err := format.NewShapefileReader(src.Path, name, spec)
		if err != nil {
			lastErr = err
			continue
		}
		defer rdr.Release()
		if prev, ok := seenKind[spec.Kind]; ok && !ds.Repeat {
			return nil, fmt.Errorf("%s and %s are both %s files; give one", prev, name, spec.Kind)
		}
		seenKind[spec.Kind] = name
		fr, err := stage(ctx, l, src, name, spec, rdr)
		if err != nil {
			return nil, err
		}
		return []fileResult{fr}, nil
	}
	return nil, fmt.Errorf("%s: no layout of %s matches this shapefile: %w", name, ds.ID, lastErr)
}

func readHead(e format.Entry, n int64) ([]byte, error) {
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, n))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// identifyGeo picks the geometry layout whose required property names all
// appear as JSON keys near the start of the file.
func identifyGeo(head []byte, file string, specs []format.FileSpec) (format.FileSpec, error) {
	keys := jsonKeys(head)
	best, bestN := -1, 0
	var needs []string
	for i, spec := range specs {
		if !spec.Geometry {
			continue
		}
		ok, n := true, 0
		var missing []string
		for _, c := range spec.Columns {
			found := false
			for _, a := range c.Aliases {
				if keys[format.NormalizeHeader(a)] {
					found = true
					break
				}
			}
			if found {
				n++
			} else if c.Required {
				ok = false
				missing = append(missing, c.Aliases[0])
			}
		}
		if ok && n > bestN {
			best, bestN = i, n
		}
		if !ok {
			needs = append(needs, fmt.Sprintf("layout %q needs %s", spec.Kind, strings.Join(missing, ", ")))
		}
	}
	if best < 0 {
		return format.FileSpec{}, &format.ParseError{File: file, Err: fmt.Errorf("no layout matches its properties: %s", strings.Join(needs, "; "))}
	}
	return specs[best], nil
}

// jsonKeys collects the normalised names of quoted strings followed by a
// colon: good enough to see which properties a GeoJSON file has.
func jsonKeys(b []byte) map[string]bool {
	keys := map[string]bool{}
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(b) && b[j] != '"' && j-i < 200 {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(b) || b[j] != '"' {
			i = j
			continue
		}
		k := j + 1
		for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
			k++
		}
		if k < len(b) && b[k] == ':' {
			keys[format.NormalizeHeader(string(b[i+1:j]))] = true
		}
		i = j
	}
	return keys
}

// startsLikeJSON reports whether the first byte after a UTF-8 BOM and white
// space opens a JSON object.
func startsLikeJSON(head []byte) bool {
	b := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// textLayouts returns the layouts without geometry.
func textLayouts(specs []format.FileSpec) []format.FileSpec {
	var out []format.FileSpec
	for _, s := range specs {
		if !s.Geometry {
			out = append(out, s)
		}
	}
	return out
}
