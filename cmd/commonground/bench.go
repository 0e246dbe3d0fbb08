package main

// commonground bench: a load generator for a running `commonground serve`,
// on loopback only, bounded in requests and time. It measures what issue 5
// sets targets for: area profile latency under concurrent clients, vector
// tile latency (warm) and size, the bytes of a profile's first load, the
// server's memory, and errors. See docs/PERFORMANCE.md.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

const benchHelp = `Load-tests a running "commonground serve" on this machine (loopback only) and
prints latency percentiles, sizes, memory and errors:

  profiles   GET /areas/{code} for random LSOAs, wards and local authorities,
             from --clients concurrent clients (--profiles requests): first
             visits, then as many revisits to 200 of those areas
  tiles      GET /tiles/{layer}/{z}/{x}/{y}.mvt at zoom 11 to 14 around English
             cities: one pass to warm the cache, then timed passes (warm)
  low zooms  every England tile of the layers the map shows at zoom 5 to 10,
             for the largest tile
  first load a profile page and the CSS, JS and images it references, with
             gzip, as a browser's first visit transfers them
  memory     the server's peak RSS (VmHWM) from /proc, with --pid

It waits for the server's start-up warming (/readyz) before it starts, and
with --wait-prerender until the server has drawn every area's profile into
its page store; it says how many were stored when it started.

Example:
  commonground serve --db real.duckdb --addr 127.0.0.1:8080 &
  commonground bench --url http://127.0.0.1:8080 --pid $!`

type benchConfig struct {
	base     string
	clients  int
	profiles int
	tiles    int
	timeout  time.Duration
	pid      int
	// waitPages waits for /readyz to say every profile is stored.
	waitPages bool
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "bench [--url http://127.0.0.1:8080] [--clients 50] [--profiles 2000] [--pid PID] [--wait-prerender]", benchHelp)
	base := fs.String("url", "http://127.0.0.1:8080", "the server to test (loopback addresses only)")
	clients := fs.Int("clients", 50, "concurrent clients")
	profiles := fs.Int("profiles", 2000, "profile requests to make")
	tiles := fs.Int("tiles", 400, "distinct high-zoom tiles (each requested once cold, then 3 times warm)")
	limit := fs.Duration("max-time", 2*time.Minute, "stop each phase after this long")
	pid := fs.Int("pid", 0, "the server's process id, to read its memory from /proc")
	waitPages := fs.Bool("wait-prerender", false, "wait (up to 30 minutes) until the server has drawn every profile into its page store (serve --prerender)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(strings.TrimRight(*base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return usageError{"--url must be an http URL such as http://127.0.0.1:8080"}
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{"bench only talks to this machine: use a loopback address (127.0.0.1, ::1 or localhost)"}
	}
	if *clients < 1 || *clients > 500 || *profiles < 1 || *profiles > 100000 || *tiles < 1 || *tiles > 20000 {
		return usageError{"--clients must be 1 to 500, --profiles 1 to 100000, --tiles 1 to 20000"}
	}
	cfg := benchConfig{base: u.String(), clients: *clients, profiles: *profiles, tiles: *tiles, timeout: *limit, pid: *pid, waitPages: *waitPages}
	b := newBencher(cfg)
	return b.run(ctx, e)
}

// bencher holds the client and what was measured.
type bencher struct {
	cfg    benchConfig
	client *http.Client
}

func newBencher(cfg benchConfig) *bencher {
	// DisableCompression: we ask for gzip ourselves and count the bytes
	// as sent, as a browser's transfer size.
	tr := &http.Transport{MaxIdleConns: 1000, MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0, DisableCompression: true,
		IdleConnTimeout: 30 * time.Second}
	return &bencher{cfg: cfg, client: &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// sample is one request's outcome.
type sample struct {
	d     time.Duration
	bytes int
	err   bool
}

// stats summarises samples.
type stats struct {
	n, errs              int
	p50, p95, p99, maxD  time.Duration
	rps                  float64
	maxBytes, totalBytes int
}

func summarise(s []sample, wall time.Duration) stats {
	st := stats{n: len(s)}
	ds := make([]time.Duration, 0, len(s))
	for _, x := range s {
		if x.err {
			st.errs++
		}
		ds = append(ds, x.d)
		st.maxBytes = max(st.maxBytes, x.bytes)
		st.totalBytes += x.bytes
	}
	if len(ds) == 0 {
		return st
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(math.Ceil(p*float64(len(ds))))-1)] }
	st.p50, st.p95, st.p99, st.maxD = pct(0.50), pct(0.95), pct(0.99), ds[len(ds)-1]
	if wall > 0 {
		st.rps = float64(len(ds)) / wall.Seconds()
	}
	return st
}

// get fetches a path with gzip accepted and reads the body; an error
// status counts as an error (304 does not).
func (b *bencher) get(ctx context.Context, path string) (sample, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.cfg.base+path, nil)
	if err != nil {
		return sample{err: true}, nil
	}
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	res, err := b.client.Do(req)
	if err != nil {
		return sample{d: time.Since(start), err: true}, nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	s := sample{d: time.Since(start), bytes: len(body), err: err != nil || res.StatusCode >= 400}
	if res.Header.Get("Content-Encoding") == "gzip" && len(body) > 0 {
		if zr, zerr := gzip.NewReader(bytes.NewReader(body)); zerr == nil {
			if plain, zerr := io.ReadAll(zr); zerr == nil {
				return s, plain
			}
		}
	}
	return s, body
}

// load runs jobs on the clients until they are done or the time is up.
func (b *bencher) load(ctx context.Context, clients int, paths []string) ([]sample, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.timeout)
	defer cancel()
	jobs := make(chan string)
	out := make([]sample, 0, len(paths))
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				s, _ := b.get(ctx, p)
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range paths {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return out, time.Since(start)
}

// waitReady waits for the server's start-up warming (/readyz), so the
// figures are for a server in service, not one still reading its data.
func (b *bencher) waitReady(ctx context.Context, e *env) error {
	start := time.Now()
	wait := readyWait
	if b.cfg.waitPages {
		wait = pagesWait
	}
	for {
		status, body, err := b.readyz(ctx)
		if err != nil {
			return err
		}
		stored, total, counted := storedProfiles(body)
		ready := status == http.StatusOK || status == http.StatusNotFound // ready, or a server without /readyz
		if ready && b.cfg.waitPages && counted && stored < total {
			ready = false
		}
		switch {
		case ready:
			if d := time.Since(start); d > time.Second {
				fmt.Fprintf(e.stdout, "Waited %.0f s for the server to warm up (/readyz).\n", d.Seconds())
			}
			if counted {
				fmt.Fprintf(e.stdout, "Profiles already drawn into the server's page store: %d of %d.\n", stored, total)
			}
			fmt.Fprintln(e.stdout)
			return nil
		case time.Since(start) > wait:
			return fmt.Errorf("bench: %s/readyz still says %d %q after %s", b.cfg.base, status, strings.TrimSpace(body), wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (b *bencher) readyz(ctx context.Context) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.cfg.base+"/readyz", nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("bench: %s/readyz: %w", b.cfg.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body), err
}

// storedProfiles reads "profiles stored: N of M" from a /readyz body.
func storedProfiles(body string) (stored, total int64, ok bool) {
	for line := range strings.Lines(body) {
		if n, _ := fmt.Sscanf(line, "profiles stored: %d of %d", &stored, &total); n == 2 {
			return stored, total, true
		}
	}
	return 0, 0, false
}

// revisitAreas is how many of the first-visit areas the revisits phase
// draws from.
const revisitAreas = 200

// readyWait bounds waitReady: all-England data warms in under a minute.
// pagesWait bounds it with --wait-prerender: all of England's profiles
// take about ten minutes to draw on two cores.
const (
	readyWait = 5 * time.Minute
	pagesWait = 30 * time.Minute
)

func (b *bencher) run(ctx context.Context, e *env) error {
	fmt.Fprintf(e.stdout, "Benchmarking %s (%s)\n\n", b.cfg.base, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if s, _ := b.get(ctx, "/healthz"); s.err {
		return fmt.Errorf("bench: %s/healthz does not answer: is the server running?", b.cfg.base)
	}
	if err := b.waitReady(ctx, e); err != nil {
		return err
	}
	codes, err := b.areaCodes(ctx)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(5, 2026))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\trequests\terrors\tp50 ms\tp95 ms\tp99 ms\tmax ms\treq/s\tlargest KB\ttotal MB\tserver CPU ms/req\t")
	// The server's CPU time per request (with --pid) does not depend on
	// what else the machine is running, unlike the latencies.
	cpu0 := procCPU(b.cfg.pid)
	row := func(name string, st stats) {
		cpu1 := procCPU(b.cfg.pid)
		perReq := "-"
		if b.cfg.pid > 0 && st.n > 0 {
			perReq = strconv.FormatFloat(float64((cpu1-cpu0).Microseconds())/1000/float64(st.n), 'f', 1, 64)
		}
		cpu0 = cpu1
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%.0f\t%.1f\t%.1f\t%s\t\n", name, st.n, st.errs, ms(st.p50), ms(st.p95), ms(st.p99), ms(st.maxD), st.rps,
			float64(st.maxBytes)/1024, float64(st.totalBytes)/(1<<20), perReq)
	}
	totalErrs := 0

	// Profiles: random areas, LSOAs most (there are most of them).
	var paths []string
	for range b.cfg.profiles {
		pool := codes["lsoa"]
		switch r := rng.IntN(10); {
		case r == 0 && len(codes["lad"]) > 0:
			pool = codes["lad"]
		case r <= 2 && len(codes["ward"]) > 0:
			pool = codes["ward"]
		}
		paths = append(paths, "/areas/"+url.PathEscape(pool[rng.IntN(len(pool))]))
	}
	// A short warm-up so the first requests' one-off work (templates,
	// indicator caches) is not counted.
	b.load(ctx, 4, paths[:min(20, len(paths))])
	cpu0 = procCPU(b.cfg.pid)
	s, wall := b.load(ctx, b.cfg.clients, paths)
	st := summarise(s, wall)
	totalErrs += st.errs
	row(fmt.Sprintf("profiles, first visits, %d clients", b.cfg.clients), st)
	// The same areas again, as visitors share links to the popular ones:
	// rendered pages come from the server's cache.
	seen := paths[:min(len(paths), revisitAreas)]
	again := make([]string, len(paths))
	for i := range again {
		again[i] = seen[rng.IntN(len(seen))]
	}
	s, wall = b.load(ctx, b.cfg.clients, again)
	st = summarise(s, wall)
	totalErrs += st.errs
	row(fmt.Sprintf("profiles, revisits (%d areas), %d clients", len(seen), b.cfg.clients), st)

	// Tiles at zoom 11 to 14 around cities: cold once, then warm.
	tilePaths := cityTiles(rng, b.cfg.tiles)
	s, wall = b.load(ctx, b.cfg.clients, tilePaths)
	st = summarise(s, wall)
	totalErrs += st.errs
	row("tiles z11-14, cold", st)
	var warm []string
	for range 3 {
		warm = append(warm, tilePaths...)
	}
	rng.Shuffle(len(warm), func(i, j int) { warm[i], warm[j] = warm[j], warm[i] })
	s, wall = b.load(ctx, b.cfg.clients, warm)
	st = summarise(s, wall)
	totalErrs += st.errs
	row(fmt.Sprintf("tiles z11-14, warm, %d clients", b.cfg.clients), st)

	// Low zooms: every tile over England of the layers drawn there.
	s, wall = b.load(ctx, min(b.cfg.clients, 4), lowZoomTiles())
	st = summarise(s, wall)
	totalErrs += st.errs
	row("tiles z5-10 (all England), 4 clients", st)
	tw.Flush()

	// First load of a profile page: HTML + everything it references.
	fmt.Fprintln(e.stdout)
	first, parts, err := b.firstLoad(ctx, "/areas/"+url.PathEscape(codes["lsoa"][0]))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "First load of /areas/%s: %.1f KB transferred (gzip) in %d requests:\n", codes["lsoa"][0], float64(first)/1024, len(parts))
	for _, p := range parts {
		fmt.Fprintf(e.stdout, "  %8.1f KB  %s\n", float64(p.bytes)/1024, p.path)
	}
	first, parts, err = b.firstLoad(ctx, "/map")
	if err == nil {
		fmt.Fprintf(e.stdout, "First load of /map (page, CSS, JS; tiles and values come after): %.1f KB in %d requests\n", float64(first)/1024, len(parts))
	}

	if b.cfg.pid > 0 {
		hwm, rss, err := procMemory(b.cfg.pid)
		if err != nil {
			fmt.Fprintf(e.stdout, "\nMemory: %v\n", err)
		} else {
			fmt.Fprintf(e.stdout, "\nServer memory (pid %d): peak RSS (VmHWM) %.0f MB, now (VmRSS) %.0f MB\n", b.cfg.pid, float64(hwm)/1024, float64(rss)/1024)
		}
	}
	fmt.Fprintf(e.stdout, "\nErrors (HTTP 4xx/5xx or failed requests): %d\n", totalErrs)
	if totalErrs > 0 {
		return fmt.Errorf("bench: %d requests failed", totalErrs)
	}
	return nil
}

// areaCodes lists area codes to request, by kind, from the server's own
// API (so bench needs no database access).
func (b *bencher) areaCodes(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	for kind, path := range map[string]string{
		"lsoa": "/api/map/values?level=lsoa11&indicator=imd2019_decile",
		"ward": "/api/map/values?level=ward&indicator=imd2019_decile1_share",
		"lad":  "/api/map/values?level=lad&indicator=imd2019_decile1_share",
	} {
		s, body := b.get(ctx, path)
		if s.err {
			continue
		}
		var m map[string]float64
		if err := json.Unmarshal(body, &m); err != nil {
			continue
		}
		for code := range m {
			out[kind] = append(out[kind], code)
		}
		slices.Sort(out[kind])
	}
	if len(out["lsoa"]) == 0 {
		return nil, fmt.Errorf("bench: the server has no LSOAs with IMD 2019 deciles to profile (load boundaries-lsoa11 and imd2019)")
	}
	return out, nil
}

// Cities with dense LSOAs, for tiles where people look.
var benchCities = []orb.Point{
	{-0.1276, 51.5072}, {-2.2426, 53.4808}, {-1.8904, 52.4862}, {-1.5491, 53.8008}, {-2.5879, 51.4545},
	{-2.9916, 53.4084}, {-1.4701, 53.3811}, {-1.6178, 54.9783}, {-1.1581, 52.9548}, {-1.1398, 52.6369},
}

// cityTiles picks n distinct tiles at zoom 11 to 14 near the cities, of the
// layers the map shows there (LSOAs, local authorities, services).
func cityTiles(rng *rand.Rand, n int) []string {
	seen := map[string]bool{}
	var out []string
	layers := []string{"lsoa11", "lsoa11", "lsoa11", "lad", "services"}
	for tries := 0; len(out) < n && tries < n*20; tries++ {
		c := benchCities[rng.IntN(len(benchCities))]
		z := maptile.Zoom(11 + rng.IntN(4))
		// Within about 10 km of the centre.
		p := orb.Point{c[0] + (rng.Float64()-0.5)*0.3, c[1] + (rng.Float64()-0.5)*0.18}
		t := maptile.At(p, z)
		path := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers[rng.IntN(len(layers))], t.Z, t.X, t.Y)
		if !seen[path] {
			seen[path] = true
			out = append(out, path)
		}
	}
	return out
}

// lowZoomTiles is every tile over England at zoom 5 to 10 of the layers the
// map draws there: local authorities from zoom 5, wards from 7, LSOAs at 9
// and 10 (the layers' minimum zooms; see dashboard/tiles.go).
func lowZoomTiles() []string {
	england := orb.Bound{Min: orb.Point{-6.42, 49.86}, Max: orb.Point{1.77, 55.82}}
	var out []string
	for z := maptile.Zoom(5); z <= 10; z++ {
		lo, hi := maptile.At(orb.Point{england.Min[0], england.Max[1]}, z), maptile.At(orb.Point{england.Max[0], england.Min[1]}, z)
		layers := []string{"lad"}
		if z >= 7 {
			layers = append(layers, "ward")
		}
		if z >= 9 {
			layers = append(layers, "lsoa11")
		}
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				for _, l := range layers {
					out = append(out, fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l, z, x, y))
				}
			}
		}
	}
	return out
}

// firstLoadPart is one response of a first load.
type firstLoadPart struct {
	path  string
	bytes int
}

var assetRef = regexp.MustCompile(`(?:<link[^>]+href|<script[^>]+src|<img[^>]+src)="(/[^"]+)"`)

// firstLoad fetches a page and the same-origin CSS, JS and images it links,
// summing the bytes on the wire (gzip where the server gives it).
func (b *bencher) firstLoad(ctx context.Context, path string) (int, []firstLoadPart, error) {
	s, body := b.get(ctx, path)
	if s.err {
		return 0, nil, fmt.Errorf("bench: first load of %s failed", path)
	}
	parts := []firstLoadPart{{path, s.bytes}}
	total := s.bytes
	seen := map[string]bool{}
	for _, m := range assetRef.FindAllSubmatch(body, -1) {
		ref := strings.ReplaceAll(string(m[1]), "&amp;", "&")
		if seen[ref] || strings.HasPrefix(ref, "//") {
			continue
		}
		seen[ref] = true
		as, _ := b.get(ctx, ref)
		if as.err {
			return 0, nil, fmt.Errorf("bench: %s (linked from %s) failed", ref, path)
		}
		parts = append(parts, firstLoadPart{ref, as.bytes})
		total += as.bytes
	}
	return total, parts, nil
}

// procCPU is the user and system CPU time a process has used (0 without
// a pid or /proc).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in brackets.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// procMemory reads VmHWM and VmRSS (kB) of a process.
func procMemory(pid int) (hwm, rss int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read the memory of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = n
		case "VmRSS:":
			rss = n
		}
	}
	return hwm, rss, nil
}
