package format

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func decodeAll(t *testing.T, r io.Reader) (string, string) {
	t.Helper()
	d := Decode(r)
	b, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b), d.Encoding()
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantEnc string
	}{
		{"empty", nil, "", "utf-8"},
		{"ascii", []byte("a,b\r\n1,2\n"), "a,b\r\n1,2\n", "utf-8"},
		{"bom", []byte("\xEF\xBB\xBFLSOA code,x\n"), "LSOA code,x\n", "utf-8 (BOM)"},
		{"bom only", []byte("\xEF\xBB\xBF"), "", "utf-8 (BOM)"},
		{"double bom", []byte("\xC3\xAF\xC2\xBB\xC2\xBFBody Name\n"), "Body Name\n", "utf-8 (double-encoded BOM)"},
		{"bom not at start is kept", []byte("a\xEF\xBB\xBFb"), "a\uFEFFb", "utf-8"},
		{"valid utf-8 untouched", []byte("£é – ’ 😀"), "£é – ’ 😀", "utf-8"},
		{"cp1252 nbsp", []byte("ACME LTD\xA0,1"), "ACME LTD\u00a0,1", "windows-1252"},
		{"cp1252 quote", []byte("Women\x92s Aid"), "Women’s Aid", "windows-1252"},
		{"cp1252 inverted question", []byte("Women\xBFs Aid"), "Women¿s Aid", "windows-1252"},
		{"cp1252 pound", []byte("\xA3100"), "£100", "windows-1252"},
		{"cp1252 euro and undefined", []byte("\x80\x81"), "€\u0081", "windows-1252"},
		{"mixed utf-8 and cp1252", []byte("£1\n\xA3 2"), "£1\n£ 2", "utf-8 + windows-1252"},
		{"bom and cp1252", []byte("\xEF\xBB\xBFa\x92b"), "a’b", "utf-8 (BOM) + windows-1252"},
		{"c1 mojibake", []byte("Women\xC2\x92s \xC2\x96 \xC2\x93q\xC2\x94"), "Women’s – “q”", "utf-8 + c1-repaired"},
		{"c1 undefined slot kept", []byte("\xC2\x81"), "\u0081", "utf-8"},
		{"truncated sequence at eof", []byte("ab\xE2\x80"), "abâ€", "windows-1252"},
		{"lone continuation", []byte("\x80x"), "€x", "windows-1252"},
		{"overlong", []byte("\xC0\xAF"), "À¯", "windows-1252"},
		{"surrogate half", []byte("\xED\xA0\x80"), "í\u00a0€", "windows-1252"},
		{"replacement char kept", []byte("\xEF\xBF\xBD"), "\uFFFD", "utf-8"},
		{"utf-16le", append([]byte{0xFF, 0xFE}, utf16le("a,£\r\nb,é")...), "a,£\r\nb,é", "utf-16le (BOM)"},
		{"utf-16be", append([]byte{0xFE, 0xFF}, utf16be("a,£")...), "a,£", "utf-16be (BOM)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc := decodeAll(t, bytes.NewReader(tt.in))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if enc != tt.wantEnc {
				t.Errorf("encoding %q, want %q", enc, tt.wantEnc)
			}
			// The same input one byte at a time gives the same result.
			got1, enc1 := decodeAll(t, iotest.OneByteReader(bytes.NewReader(tt.in)))
			if got1 != tt.want || enc1 != tt.wantEnc {
				t.Errorf("one byte at a time: %q %q", got1, enc1)
			}
		})
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func utf16be(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// splitReader returns a first, then b, in two Reads.
type splitReader struct{ parts [][]byte }

func (s *splitReader) Read(p []byte) (int, error) {
	for len(s.parts) > 0 && len(s.parts[0]) == 0 {
		s.parts = s.parts[1:]
	}
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.parts[0])
	s.parts[0] = s.parts[0][n:]
	return n, nil
}

// Every split point of a mixed input gives the same output as reading it
// whole, including splits inside multi-byte sequences and inside the BOM.
func TestDecodeSplitAtEveryOffset(t *testing.T) {
	in := []byte("\xC3\xAF\xC2\xBB\xC2\xBFname,amount\r\nCafé £1,\xA0x\x92y\xC2\x96z 😀,\xE2\x80\n" +
		strings.Repeat("abcdefgh", 3) + "\xBF\xC2")
	want, wantEnc := decodeAll(t, bytes.NewReader(in))
	if !utf8.ValidString(want) {
		t.Fatalf("invalid UTF-8 output %q", want)
	}
	if !strings.HasPrefix(want, "name,amount\r\nCafé £1,\u00a0x’y–z 😀,â€\n") || !strings.HasSuffix(want, "¿Â") {
		t.Fatalf("whole read = %q", want)
	}
	for i := 0; i <= len(in); i++ {
		r := &splitReader{parts: [][]byte{append([]byte(nil), in[:i]...), append([]byte(nil), in[i:]...)}}
		got, enc := decodeAll(t, r)
		if got != want || enc != wantEnc {
			t.Fatalf("split at %d: got %q (%s), want %q (%s)", i, got, enc, want, wantEnc)
		}
	}
	got, enc := decodeAll(t, iotest.OneByteReader(bytes.NewReader(in)))
	if got != want || enc != wantEnc {
		t.Fatalf("one byte reader: got %q (%s)", got, enc)
	}
	got, enc = decodeAll(t, iotest.HalfReader(bytes.NewReader(in)))
	if got != want || enc != wantEnc {
		t.Fatalf("half reader: got %q (%s)", got, enc)
	}
}

// Tiny destination buffers force ErrShortDst inside the transformer.
func TestDecodeSmallReads(t *testing.T) {
	in := []byte("x\xA0\x92😀\xC2\x94" + strings.Repeat("a", 100) + "é")
	want, _ := decodeAll(t, bytes.NewReader(in))
	d := Decode(bytes.NewReader(in))
	var out []byte
	buf := make([]byte, 1)
	for {
		n, err := d.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(out) != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

func TestDecodePassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	d := Decode(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)))
	b, err := io.ReadAll(d)
	if !errors.Is(err, boom) || string(b) != "abc" {
		t.Fatalf("got %q, %v", b, err)
	}
	d = Decode(iotest.ErrReader(boom))
	if _, err := io.ReadAll(d); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

// Large ASCII input stays streaming and fast.
func BenchmarkDecodeASCII(b *testing.B) {
	line := []byte("2019-04-01,E01000001,City of London 001A,12345,1234.56,Some supplier name ltd\n")
	data := bytes.Repeat(line, 1<<20/len(line)*8)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := io.Copy(io.Discard, Decode(bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMixed(b *testing.B) {
	line := []byte("2019-04-01,Café £12,Women\x92s Aid\xA0,x\n")
	data := bytes.Repeat(line, 1<<20/len(line)*8)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := io.Copy(io.Discard, Decode(bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}
