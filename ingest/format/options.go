package format

import "github.com/apache/arrow-go/v18/arrow/memory"

// Option configures a reader in this package (CSVReader and the GeoJSON and
// TopoJSON readers).
type Option func(*options)

type options struct {
	mem        memory.Allocator
	chunk      int
	maxRejects int
}

// Defaults for the reader options.
const (
	defaultChunkSize  = 8192
	defaultMaxRejects = 100000
)

// WithAllocator sets the Arrow allocator for record batches (default
// memory.DefaultAllocator).
func WithAllocator(m memory.Allocator) Option {
	return func(o *options) {
		if m != nil {
			o.mem = m
		}
	}
}

// WithChunkSize sets how many rows go into each record batch (default 8192).
// Values below 1 are ignored.
func WithChunkSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.chunk = n
		}
	}
}

// WithMaxRejects sets how many Reject values a reader keeps in memory
// (default 100000). Rejected rows beyond that are still counted in Stats.
// Negative values are treated as 0.
func WithMaxRejects(n int) Option {
	return func(o *options) {
		if n < 0 {
			n = 0
		}
		o.maxRejects = n
	}
}

func newOptions(opts []Option) options {
	o := options{mem: memory.DefaultAllocator, chunk: defaultChunkSize, maxRejects: defaultMaxRejects}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}
