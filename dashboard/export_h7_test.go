package dashboard

import "context"

// MayHaveMoney exposes the profile's money gate (moneygate.go) to tests.
func MayHaveMoney(ctx context.Context, s *Server, lad string) bool { return s.mayHaveMoney(ctx, lad) }
