package dashboard

// Test hooks for the external tests in package dashboard_test.

// ResetTileCache empties the server's tile cache (the layer indexes stay),
// so a benchmark can time tile building rather than cache hits.
func ResetTileCache(s *Server) { s.tiles.cache.reset() }

// SetMaxTileBytes lowers the tile size limit, to test what happens to
// tiles over it, and empties the cache.
func SetMaxTileBytes(s *Server, n int) {
	s.tiles.maxBytes = n
	s.tiles.cache.reset()
}
