package execdeps

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// The machine's own cache, read by us and listed by ldconfig -p: the same
// entries in the same order.
func TestLDCacheAgainstLdconfig(t *testing.T) {
	b, err := os.ReadFile(ldSoCache)
	if err != nil {
		testenv.Skip(t, "no /etc/ld.so.cache: "+err.Error())
	}
	ldconfig, err := exec.LookPath("ldconfig")
	if err != nil {
		if ldconfig, err = exec.LookPath("/sbin/ldconfig"); err != nil {
			testenv.Skip(t, "no ldconfig")
		}
	}
	out, err := exec.Command(ldconfig, "-p").Output()
	if err != nil {
		t.Fatalf("ldconfig -p: %v", err)
	}
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Scan() // "N libs found in cache"
	for sc.Scan() {
		name, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), " (")
		_, path, ok2 := strings.Cut(rest, " => ")
		if ok && ok2 {
			want = append(want, name+"="+path)
		}
	}
	entries, err := parseLDCache(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.name+"="+e.path)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("parsed %d entries, ldconfig -p lists %d\nfirst parsed: %q\nfirst listed: %q", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
	t.Logf("%d entries agree with ldconfig -p", len(got))
}

// buildCache writes a cache the way ldconfig does, optionally behind the
// libc5-compatible table and in either byte order.
func buildCache(withOld bool, bo binary.ByteOrder, entries []cacheEntry) []byte {
	var strs bytes.Buffer
	type off struct{ k, v uint32 }
	offs := make([]off, len(entries))
	newSize := cacheHeaderNew + len(entries)*cacheEntryNew
	for i, e := range entries {
		offs[i].k = uint32(newSize + strs.Len())
		strs.WriteString(e.name + "\x00")
		offs[i].v = uint32(newSize + strs.Len())
		strs.WriteString(e.path + "\x00")
	}
	var out bytes.Buffer
	if withOld {
		out.WriteString(cacheMagicOld + "\x00")
		binary.Write(&out, binary.NativeEndian, uint32(1))
		out.Write(make([]byte, cacheEntryOld)) // one old entry, ignored
		for out.Len()%8 != 0 {
			out.WriteByte(0)
		}
	}
	h := make([]byte, cacheHeaderNew)
	copy(h, cacheMagicNew)
	bo.PutUint32(h[20:], uint32(len(entries)))
	bo.PutUint32(h[24:], uint32(strs.Len()))
	h[28] = cacheFlagsLittle
	if bo == binary.BigEndian {
		h[28] = cacheFlagsBig
	}
	out.Write(h)
	for i, e := range entries {
		ent := make([]byte, cacheEntryNew)
		bo.PutUint32(ent[0:], uint32(e.flags))
		bo.PutUint32(ent[4:], offs[i].k)
		bo.PutUint32(ent[8:], offs[i].v)
		bo.PutUint64(ent[16:], e.hwcap)
		out.Write(ent)
	}
	out.Write(strs.Bytes())
	return out.Bytes()
}

func TestLDCacheFormats(t *testing.T) {
	entries := []cacheEntry{
		{name: "libc.so.6", path: "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6", flags: 0x0303, hwcap: cacheHwcapExtFlags | 1},
		{name: "libc.so.6", path: "/lib/x86_64-linux-gnu/libc.so.6", flags: 0x0303},
		{name: "libc.so.6", path: "/lib/i386-linux-gnu/libc.so.6", flags: 0x0003},
		{name: "libold.so", path: "/lib/libold.so", flags: 0x0002}, // libc5: not for glibc's loader
	}
	for _, c := range []struct {
		name    string
		withOld bool
		bo      binary.ByteOrder
	}{
		{"new/little", false, binary.LittleEndian},
		{"new/big", false, binary.BigEndian},
		{"old+new/little", true, binary.LittleEndian},
	} {
		t.Run("format="+c.name, func(t *testing.T) {
			got, err := parseLDCache(buildCache(c.withOld, c.bo, entries))
			if err != nil {
				t.Fatal(err)
			}
			want := entries[:3]
			if len(got) != len(want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"old-only", append([]byte(cacheMagicOld+"\x00"), 0, 0, 0, 0)},
		{"short-new", []byte(cacheMagicNew)},
		{"entries-past-end", func() []byte {
			b := buildCache(false, binary.LittleEndian, entries)
			binary.LittleEndian.PutUint32(b[20:], 1<<20)
			return b
		}()},
		{"string-past-end", func() []byte {
			b := buildCache(false, binary.LittleEndian, entries)
			binary.LittleEndian.PutUint32(b[cacheHeaderNew+4:], uint32(len(b)+10))
			return b
		}()},
	} {
		t.Run("bad="+c.name, func(t *testing.T) {
			if _, err := parseLDCache(c.b); !errors.Is(err, errCache) {
				t.Fatalf("err = %v, want errCache", err)
			}
		})
	}
}

func FuzzParseLDCache(f *testing.F) {
	f.Add(buildCache(false, binary.LittleEndian, []cacheEntry{{name: "a", path: "/a", flags: 3}}))
	f.Add(buildCache(true, binary.BigEndian, []cacheEntry{{name: "b", path: "/b", flags: 1}}))
	if b, err := os.ReadFile(ldSoCache); err == nil && len(b) < 1<<20 {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := parseLDCache(b)
		if err != nil && entries != nil {
			t.Fatalf("entries with an error: %v", err)
		}
	})
}
