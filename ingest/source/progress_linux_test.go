package source

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the controller and terminal ends of a new pseudo-terminal.
func openPTY(t *testing.T) (controller, tty *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(controller.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.FormatUint(uint64(n), 10), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	return controller, tty
}

func TestFetchProgressOnTerminal(t *testing.T) {
	t.Parallel()
	controller, tty := openPTY(t)
	defer controller.Close()

	var mu sync.Mutex
	var drawn bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := controller.Read(buf)
			mu.Lock()
			drawn.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "200000")
		_, _ = w.Write(bytes.Repeat([]byte("t"), 200000))
	}))
	defer srv.Close()
	f, _ := newFetcher(t)
	f.Progress = tty
	if _, err := f.Fetch(t.Context(), srv.URL+"/shown.csv"); err != nil {
		t.Fatal(err)
	}
	if err := tty.Close(); err != nil { // EIO on the controller ends the reader
		t.Fatal(err)
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Contains(drawn.Bytes(), []byte("shown.csv")) || !bytes.Contains(drawn.Bytes(), []byte("100%")) {
		t.Errorf("terminal shows %q, want a finished bar for shown.csv", drawn.String())
	}
}
