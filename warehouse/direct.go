package warehouse

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// StreamChecks run inside CommitStream's transaction, after the insert and
// before the commit; an error rolls everything back.
type StreamChecks func(ctx context.Context, q Querier, inserted int64) error

// Querier runs a read query and scans one row (see Load.QueryRow).
type Querier interface {
	QueryRow(ctx context.Context, q string, dest ...any) error
}

// CommitStream loads one Arrow stream straight into the store in a single
// transaction: delete the dataset's rows, insert from the stream, derive,
// check, record the run. It avoids the staging copy, so a large clean file
// loads at the speed of one pass. In s.Insert the stream is named by
// StagingName(kind). res is called once the stream has been read, for the
// rejects and counts the reader saw. The previous version survives any
// failure.
func (l *Load) CommitStream(ctx context.Context, kind string, rdr array.RecordReader, s Swap, check StreamChecks,
	res func() RunResult) (int64, error) {
	if l.done {
		return 0, errors.New("commit: load already finished")
	}
	view := fmt.Sprintf("arrow_in_%d_%d", l.runID, viewSeq.Add(1))
	// The view must exist before the transaction: creating it writes the
	// memory catalog, and a transaction may write only one database.
	release, err := l.arrow.RegisterView(rdr, view)
	if err != nil {
		return 0, fmt.Errorf("commit %s: %w", l.dataset, err)
	}
	defer func() {
		l.exec(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+QuoteIdent(view))
		release()
	}()
	insert := strings.ReplaceAll(s.Insert, QuoteIdent(StagingName(kind)), QuoteIdent(view))
	insert = replaceWord(insert, StagingName(kind), QuoteIdent(view))
	target := "store.main." + QuoteIdent(s.Table)
	if _, err := l.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return 0, fmt.Errorf("commit %s: %w", l.dataset, err)
	}
	rollback := func(err error) (int64, error) {
		l.exec(context.WithoutCancel(ctx), "ROLLBACK")
		return 0, err
	}
	del := "DELETE FROM " + target
	if s.Replace != "" {
		del += " WHERE " + s.Replace
	}
	if _, err := l.exec(ctx, del); err != nil {
		return rollback(fmt.Errorf("commit %s: remove previous version: %w", l.dataset, err))
	}
	n, err := l.exec(ctx, "INSERT INTO "+target+" BY NAME "+insert)
	if err != nil {
		return rollback(fmt.Errorf("commit %s: insert into %s: %w", l.dataset, s.Table, err))
	}
	for _, d := range s.Derive {
		if _, err := l.exec(ctx, d); err != nil {
			return rollback(fmt.Errorf("commit %s: derive: %w", l.dataset, err))
		}
	}
	if check != nil {
		if err := check(ctx, l, n); err != nil {
			return rollback(err)
		}
	}
	r := res()
	if err := l.recordRun(ctx, "ok", nil, n, r, true, false); err != nil {
		return rollback(fmt.Errorf("commit %s: %w", l.dataset, err))
	}
	if err := l.insertRejectValues(ctx, r.Rejects); err != nil {
		return rollback(fmt.Errorf("commit %s: %w", l.dataset, err))
	}
	if _, err := l.exec(ctx, "COMMIT"); err != nil {
		return rollback(fmt.Errorf("commit %s: %w", l.dataset, err))
	}
	l.done = true
	return n, nil
}

// insertRejectValues writes rejects with plain INSERT … VALUES, which (unlike
// staging through an Arrow view) is allowed inside a transaction that has
// written the store.
func (l *Load) insertRejectValues(ctx context.Context, rs []Reject) error {
	const batch = 500
	for i := 0; i < len(rs); i += batch {
		var b strings.Builder
		b.WriteString(`INSERT INTO store.main.ingest_rejects VALUES `)
		for j, r := range rs[i:min(i+batch, len(rs))] {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, %s, %s, %d, %s, %s, %s)", l.runID, QuoteString(l.dataset), QuoteString(r.File), r.Line,
				QuoteString(r.Column), QuoteString(r.Value), QuoteString(r.Reason))
		}
		if _, err := l.exec(ctx, b.String()); err != nil {
			return fmt.Errorf("record rejects: %w", err)
		}
	}
	return nil
}

// replaceWord replaces whole-word occurrences of old (an identifier) in q.
func replaceWord(q, old, new string) string {
	var b strings.Builder
	for {
		i := strings.Index(q, old)
		if i < 0 {
			b.WriteString(q)
			return b.String()
		}
		before := i == 0 || !isIdentByte(q[i-1])
		after := i+len(old) == len(q) || !isIdentByte(q[i+len(old)])
		b.WriteString(q[:i])
		if before && after {
			b.WriteString(new)
		} else {
			b.WriteString(old)
		}
		q = q[i+len(old):]
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
