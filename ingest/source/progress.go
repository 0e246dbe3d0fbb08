package source

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress draws a download bar on a terminal. The zero value (nil bar) draws nothing, so callers need no checks.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a bar writing to w when w is a terminal, and a silent progress otherwise: escape codes never
// reach a file, pipe or buffer. total < 0 means the size is unknown (a spinner is drawn).
func newProgress(w io.Writer, total int64, desc string) progress {
	if !isTerminal(w) {
		return progress{}
	}
	if total <= 0 {
		total = -1
	}
	return progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(10),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { _, _ = fmt.Fprintln(w) }),
	)}
}

// add advances the bar by n bytes.
func (p progress) add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n) // drawing errors must not fail a download
	}
}

// done fills the bar (ok) or leaves it where it stopped, and ends the line either way.
func (p progress) done(ok bool) {
	if p.bar == nil {
		return
	}
	if ok {
		_ = p.bar.Finish()
	} else {
		_ = p.bar.Exit()
	}
}

// isTerminal reports whether w is a file descriptor attached to a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
