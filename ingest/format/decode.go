package format

import (
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// cp1252 maps the bytes 0x80..0x9F of Windows-1252 to Unicode. The five
// bytes Windows-1252 leaves undefined map to the C1 control of the same
// value, as the WHATWG decoder does. Bytes 0xA0..0xFF map to U+00A0..U+00FF.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// cp1252Rune decodes one Windows-1252 byte (>= 0x80).
func cp1252Rune(b byte) rune {
	if b >= 0x80 && b < 0xA0 {
		return cp1252[b-0x80]
	}
	return rune(b)
}

// repairer is a transform.Transformer that passes valid UTF-8 through,
// decodes each byte that is not part of a valid UTF-8 sequence as
// Windows-1252, and maps the C1 controls U+0080..U+009F (Windows-1252 text
// once decoded as Latin-1) to the Windows-1252 character for that byte.
type repairer struct {
	sawUTF8   bool // a valid multi-byte UTF-8 sequence
	sawCP1252 bool // a byte decoded as Windows-1252
	sawC1     bool // a C1 control mapped back
}

// Reset implements transform.Resetter; it keeps what was seen.
func (t *repairer) Reset() {}

const hiBits = 0x8080808080808080

// Transform implements transform.Transformer.
func (t *repairer) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		// ASCII fast path: copy the run of bytes below 0x80.
		i := nSrc
		for i+8 <= len(src) && binary.LittleEndian.Uint64(src[i:])&hiBits == 0 {
			i += 8
		}
		for i < len(src) && src[i] < utf8.RuneSelf {
			i++
		}
		if i > nSrc {
			n := copy(dst[nDst:], src[nSrc:i])
			nDst += n
			nSrc += n
			if nSrc < i {
				return nDst, nSrc, transform.ErrShortDst
			}
			continue
		}
		// src[nSrc] >= 0x80.
		rest := src[nSrc:]
		if !atEOF && !utf8.FullRune(rest) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, size := utf8.DecodeRune(rest)
		switch {
		case r == utf8.RuneError && size <= 1:
			r = cp1252Rune(rest[0])
			size = 1
			t.sawCP1252 = true
		case r >= 0x80 && r < 0xA0:
			if m := cp1252[r-0x80]; m != r {
				t.sawC1 = true
				r = m
			}
		default:
			// Valid multi-byte UTF-8: copy the bytes as they are.
			if len(dst)-nDst < size {
				return nDst, nSrc, transform.ErrShortDst
			}
			t.sawUTF8 = true
			nDst += copy(dst[nDst:], rest[:size])
			nSrc += size
			continue
		}
		if len(dst)-nDst < utf8.RuneLen(r) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}

// Decoder is an io.Reader that turns the bytes councils publish into valid
// UTF-8. It strips a leading UTF-8 BOM (EF BB BF) or double-encoded BOM
// (C3 AF C2 BB C2 BF); decodes UTF-16 (LE or BE) when the input starts with a
// UTF-16 BOM; passes valid UTF-8 through; decodes every byte that is not part
// of a valid UTF-8 sequence as Windows-1252 (0xA0 is NBSP, 0x92 is ’); and
// maps the C1 controls U+0080..U+009F, the trace of Windows-1252 text decoded
// as Latin-1, back to the Windows-1252 characters (U+0092 becomes ’).
// It streams in constant memory. It is not safe for concurrent use.
type Decoder struct {
	src     io.Reader
	rd      io.Reader
	rep     *repairer
	bom     string
	started bool
}

// Decode returns a Decoder reading from r.
func Decode(r io.Reader) *Decoder {
	return &Decoder{src: r}
}

var (
	bomUTF8        = []byte{0xEF, 0xBB, 0xBF}
	bomUTF8Double  = []byte{0xC3, 0xAF, 0xC2, 0xBB, 0xC2, 0xBF}
	bomUTF16LE     = []byte{0xFF, 0xFE}
	bomUTF16BE     = []byte{0xFE, 0xFF}
	maxBOMLen      = len(bomUTF8Double)
	encUTF8        = "utf-8"
	encUTF8BOM     = "utf-8 (BOM)"
	encUTF8Double  = "utf-8 (double-encoded BOM)"
	encUTF16LE     = "utf-16le (BOM)"
	encUTF16BE     = "utf-16be (BOM)"
	encWindows1252 = "windows-1252"
)

// start reads enough bytes to recognise a BOM and sets up the pipeline.
func (d *Decoder) start() {
	d.started = true
	head := make([]byte, maxBOMLen)
	n, err := io.ReadFull(d.src, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		// Keep what was read; report the error after it.
		d.rd = io.MultiReader(bytes.NewReader(head[:n]), errReader{err})
		d.rep = &repairer{}
		d.rd = transform.NewReader(d.rd, d.rep)
		return
	}
	head = head[:n]
	var rest io.Reader = d.src
	switch {
	case bytes.HasPrefix(head, bomUTF8Double):
		d.bom = encUTF8Double
		head = head[len(bomUTF8Double):]
	case bytes.HasPrefix(head, bomUTF8):
		d.bom = encUTF8BOM
		head = head[len(bomUTF8):]
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		end := unicode.LittleEndian
		d.bom = encUTF16LE
		if head[0] == 0xFE {
			end = unicode.BigEndian
			d.bom = encUTF16BE
		}
		in := io.MultiReader(bytes.NewReader(head[2:]), rest)
		d.rd = transform.NewReader(in, unicode.UTF16(end, unicode.IgnoreBOM).NewDecoder())
		return
	}
	d.rep = &repairer{}
	d.rd = transform.NewReader(io.MultiReader(bytes.NewReader(head), rest), d.rep)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Read implements io.Reader.
func (d *Decoder) Read(p []byte) (int, error) {
	if !d.started {
		d.start()
	}
	return d.rd.Read(p)
}

// Encoding describes what the decoder found so far (final once the input has
// been read to the end): "utf-8", "utf-8 (BOM)", "utf-8 (double-encoded BOM)",
// "utf-16le (BOM)", "utf-16be (BOM)", "windows-1252" (non-UTF-8 bytes and no
// valid multi-byte UTF-8), or "utf-8 + windows-1252" (both); any of these
// followed by " + c1-repaired" when C1 mojibake was mapped back.
func (d *Decoder) Encoding() string {
	enc := encUTF8
	if d.bom != "" {
		enc = d.bom
	}
	if d.rep == nil {
		return enc
	}
	if d.rep.sawCP1252 {
		switch {
		case d.bom != "":
			enc += " + " + encWindows1252
		case d.rep.sawUTF8 || d.rep.sawC1:
			enc = encUTF8 + " + " + encWindows1252
		default:
			enc = encWindows1252
		}
	}
	if d.rep.sawC1 {
		enc += " + c1-repaired"
	}
	return enc
}
