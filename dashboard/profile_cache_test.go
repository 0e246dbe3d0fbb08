package dashboard

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A crowd asking for the same new section waits for one build; errors are
// not kept.
func TestCachedSectionBuildsOnce(t *testing.T) {
	s := &Server{}
	s.prof.checked = time.Now().Add(time.Hour) // no version check (no database here)
	var builds atomic.Int32
	build := func(context.Context) (int, error) {
		builds.Add(1)
		time.Sleep(30 * time.Millisecond)
		return 42, nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := cachedSection(context.Background(), s, "k", build); v != 42 || err != nil {
				t.Errorf("got %v, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("%d builds, want 1", n)
	}
	boom := errors.New("boom")
	fails := 0
	bad := func(context.Context) (int, error) { fails++; return 0, boom }
	for i := 0; i < 2; i++ {
		if _, err := cachedSection(context.Background(), s, "bad", bad); !errors.Is(err, boom) {
			t.Errorf("error %v", err)
		}
	}
	if fails != 2 {
		t.Errorf("a failed build was cached (%d builds)", fails)
	}
}
