package syscalls

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/testenv"
)

// The AUDIT_ARCH tokens are spelled out as numbers so the package builds on
// every OS; here they are checked against the kernel headers' values.
func TestAuditArchMatchesKernelHeaders(t *testing.T) {
	want := map[string]uint32{
		"x86": unix.AUDIT_ARCH_I386, "x86_64": unix.AUDIT_ARCH_X86_64, "x32": unix.AUDIT_ARCH_X86_64,
		"arm": unix.AUDIT_ARCH_ARM, "aarch64": unix.AUDIT_ARCH_AARCH64, "loongarch64": unix.AUDIT_ARCH_LOONGARCH64,
		"m68k": unix.AUDIT_ARCH_M68K, "mips": unix.AUDIT_ARCH_MIPS, "mipsel": unix.AUDIT_ARCH_MIPSEL,
		"mips64": unix.AUDIT_ARCH_MIPS64, "mipsel64": unix.AUDIT_ARCH_MIPSEL64,
		"mips64n32": unix.AUDIT_ARCH_MIPS64N32, "mipsel64n32": unix.AUDIT_ARCH_MIPSEL64N32,
		"parisc": unix.AUDIT_ARCH_PARISC, "parisc64": unix.AUDIT_ARCH_PARISC64, "ppc": unix.AUDIT_ARCH_PPC,
		"ppc64": unix.AUDIT_ARCH_PPC64, "ppc64le": unix.AUDIT_ARCH_PPC64LE, "riscv64": unix.AUDIT_ARCH_RISCV64,
		"s390": unix.AUDIT_ARCH_S390, "s390x": unix.AUDIT_ARCH_S390X, "sh": unix.AUDIT_ARCH_SHEL, "sheb": unix.AUDIT_ARCH_SH,
	}
	for _, a := range Arches() {
		if w, ok := want[a.Name]; !ok || a.AuditArch != w {
			t.Errorf("arch=%s: AuditArch = %#x, want %#x", a.Name, a.AuditArch, w)
		}
	}
}

// TestAgreesWithScmpSysResolver compares the tables with libseccomp's
// resolver. Debian's libseccomp is older than the table, so syscalls it does
// not know are skipped; every name it knows must resolve to the same number.
func TestAgreesWithScmpSysResolver(t *testing.T) {
	path := testenv.LookPath(t, "scmp_sys_resolver", "seccomp")
	checked, newer := 0, 0
	for _, arch := range []string{"x86_64", "x86", "x32", "aarch64", "arm", "s390x", "mips64", "riscv64"} {
		a, _ := ArchByName(arch)
		for _, name := range Names() {
			out, err := exec.Command(path, "-a", arch, name).Output()
			if err != nil {
				t.Fatalf("scmp_sys_resolver -a %s %s: %v", arch, name, err)
			}
			n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			if err != nil {
				t.Fatalf("scmp_sys_resolver -a %s %s: output %q", arch, name, out)
			}
			nr, ok := a.Number(name)
			switch {
			case n == -1: // __NR_SCMP_ERROR: unknown to this libseccomp
				continue
			case n < 0: // pseudo number: not a direct call there
				// The table is newer than Debian's libseccomp: it may
				// know a call libseccomp 2.5 does not. Only log it.
				if ok {
					if _, muxed := a.Mux(name); !muxed {
						newer++
					}
				}
			case !ok || int64(nr) != n:
				t.Errorf("arch=%s/name=%s: libseccomp says %d, table says %d (present=%v)", arch, name, n, nr, ok)
			}
			checked++
		}
	}
	t.Logf("%d (arch, name) pairs agree with scmp_sys_resolver; %d are present only in the newer table", checked, newer)
	if checked < 3000 {
		t.Errorf("only %d pairs compared; the resolver seems broken", checked)
	}
}
