package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Resolve expands command-line source arguments: http(s) URLs pass through; a directory becomes every regular file
// under it (recursive, sorted, skipping dot-files); a glob pattern ("data/*.json.gz", also ** not required) expands
// (error if it matches nothing); a plain path must exist. Errors name the argument. Order is preserved, duplicates removed.
//
// A glob follows filepath.Match syntax ("**" acts like "*"); matches whose name starts with "." are skipped unless
// the pattern's last element starts with "." too, and a matching directory is expanded like a directory argument.
// An argument that exists as a literal path is never treated as a pattern. A directory with no files is an error.
// Paths come back cleaned but not made absolute; two spellings of the same file count as duplicates.
func Resolve(args []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	add := func(s, key string) {
		if !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	addPath := func(p string) {
		p = filepath.Clean(p)
		key, err := filepath.Abs(p)
		if err != nil {
			key = p
		}
		add(p, key)
	}

	for _, arg := range args {
		if IsURL(arg) {
			add(arg, arg)
			continue
		}
		if arg == "" {
			return nil, errors.New(`resolve "": empty source argument`)
		}
		paths, err := resolvePath(arg)
		if err != nil {
			return nil, fmt.Errorf("resolve %q: %w", arg, err)
		}
		for _, p := range paths {
			addPath(p)
		}
	}
	return out, nil
}

// resolvePath expands one non-URL argument into files.
func resolvePath(arg string) ([]string, error) {
	info, statErr := os.Stat(arg)
	if statErr == nil {
		if info.IsDir() {
			return walkDir(arg)
		}
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
		}
		return []string{arg}, nil
	}
	if !hasGlobMeta(arg) {
		return nil, pathErrCause(statErr)
	}

	matches, err := filepath.Glob(arg)
	if err != nil {
		return nil, fmt.Errorf("bad glob pattern: %w", err)
	}
	allowDot := strings.HasPrefix(filepath.Base(arg), ".")
	var files []string
	for _, m := range matches {
		if !allowDot && strings.HasPrefix(filepath.Base(m), ".") {
			continue
		}
		info, err := os.Stat(m)
		if err != nil {
			return nil, fmt.Errorf("match %s: %w", m, pathErrCause(err))
		}
		switch {
		case info.IsDir():
			sub, err := walkDir(m)
			if err != nil {
				return nil, fmt.Errorf("match %s: %w", m, err)
			}
			files = append(files, sub...)
		case info.Mode().IsRegular():
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		return nil, errors.New("pattern matches no files")
	}
	return files, nil
}

// walkDir lists every regular file under dir (following symlinks to files, not to directories), skipping names that
// start with "." below dir, sorted.
func walkDir(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type().IsRegular():
			files = append(files, p)
		case d.Type()&fs.ModeSymlink != 0:
			if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("directory contains no files")
	}
	slices.Sort(files)
	return files, nil
}

// hasGlobMeta reports whether s contains a filepath.Match metacharacter.
func hasGlobMeta(s string) bool {
	return strings.ContainsAny(s, `*?[`)
}
