// Command commonground loads open data about neighbourhoods in England into
// a DuckDB warehouse and answers questions about it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"commonground/ingest/source"
	"commonground/warehouse"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: its streams and a logger.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

func commands() []command {
	return []command{
		{"ingest", "load a dataset from the catalogue (or --all) into the warehouse", runIngest},
		{"sources", "list the catalogue with what is loaded", runSources},
		{"query", "run a read-only SQL query", runQuery},
		{"demo", "generate the synthetic Exampleton area and load it", runDemo},
		{"schema", "print the warehouse schema as Markdown", runSchema},
		{"areas", "add, list, show or remove custom areas (your own boundaries) and their LSOAs", runAreas},
		{"serve", "serve the dashboard and JSON API", runServe},
		{"bench", "load-test a running server on this machine (profiles, tiles, page weight, memory)", runBench},
		{"gaps", "rebuild or list service gaps: provision against need", runGaps},
		{"version", "print the version", func(_ context.Context, e *env, _ []string) error {
			fmt.Fprintln(e.stdout, "commonground", version)
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Commonground: the same facts about a neighbourhood, with their sources.

Usage:
  commonground <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "commonground <command> --help" for a command's flags.
The database is ./commonground.duckdb unless --db or COMMONGROUND_DB says otherwise.
`)
}

// usageError is a mistake in how the command was called: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	level := slog.LevelInfo
	if os.Getenv("COMMONGROUND_DEBUG") != "" {
		level = slog.LevelDebug
	}
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	slog.SetDefault(e.log)
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "commonground %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "commonground %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "commonground: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// newFlags makes a flag set that prints usage for the command and returns
// errors instead of exiting.
func newFlags(e *env, name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: commonground %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(help))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags wherever they appear among the arguments, so both
// "ingest --db x imd2019" and "ingest imd2019 --db x" work.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func dbFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("COMMONGROUND_DB")
	if def == "" {
		def = warehouse.DefaultPath
	}
	return fs.String("db", def, "DuckDB database file (env COMMONGROUND_DB)")
}

func defaultCacheDir() string {
	if d := os.Getenv("COMMONGROUND_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "commonground")
	}
	return filepath.Join(os.TempDir(), "commonground-cache")
}

func newFetcher(e *env, cacheDir string) *source.Fetcher {
	return &source.Fetcher{CacheDir: cacheDir, Progress: os.Stderr, Logger: e.log, UserAgent: "commonground/" + version}
}
