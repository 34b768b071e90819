package landlock

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	golandlock "github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Rules are the path and port rules of one run, as the command line and a
// profile's x-sysfence section give them.
//
// A path may name a file or a directory; a directory covers its whole tree.
// Once any path rule is given, every other file-system access that Landlock
// can restrict is denied; once any port rule is given, TCP bind and connect
// to every other port are denied.
type Rules struct {
	Read  []string // --allow-read: open files for reading, list directories
	Write []string // --allow-write: write, truncate and (directories) create/remove/rename entries
	Exec  []string // --allow-exec: execute files (which needs reading them too)

	Bind    []uint16 // --allow-bind: TCP ports bind(2) may use
	Connect []uint16 // --allow-connect: TCP ports connect(2) may reach
}

// Empty reports whether r has no rule at all (then nothing is restricted).
func (r Rules) Empty() bool {
	return !r.hasPaths() && !r.hasPorts()
}

func (r Rules) hasPaths() bool { return len(r.Read)+len(r.Write)+len(r.Exec) > 0 }
func (r Rules) hasPorts() bool { return len(r.Bind)+len(r.Connect) > 0 }

// Options change how NewPlan treats what the ABI cannot enforce.
type Options struct {
	// BestEffort accepts a plan that leaves some rules unenforced; the plan
	// lists exactly which in Unenforced. Without it, NewPlan fails.
	BestEffort bool
}

// AccessFS and AccessNet are go-landlock's access-right sets; their String
// methods name the kernel's rights ("{read_file,read_dir}").
type (
	AccessFS  = golandlock.AccessFSSet
	AccessNet = golandlock.AccessNetSet
)

// MaxABI is the highest Landlock ABI whose rights sysfence knows about (the
// highest go-landlock v0.11.2 knows). A newer kernel is used as this ABI.
const MaxABI = 11

// Minimum ABIs of the features sysfence uses.
const (
	abiRefer       = 2 // LANDLOCK_ACCESS_FS_REFER
	abiTruncate    = 3 // LANDLOCK_ACCESS_FS_TRUNCATE
	abiNet         = 4 // LANDLOCK_ACCESS_NET_{BIND,CONNECT}_TCP
	abiIoctlDev    = 5 // LANDLOCK_ACCESS_FS_IOCTL_DEV
	abiResolveUnix = 9 // LANDLOCK_ACCESS_FS_RESOLVE_UNIX
)

// The access rights each kind of rule grants. Rights a given ABI does not
// know are masked off by handledFS; see doc.go for why each is here.
const (
	// Reading a file; for a directory also listing it (READ_DIR is a
	// directory-only right, so a file rule must not carry it).
	readFile AccessFS = llsys.AccessFSReadFile
	readDir  AccessFS = readFile | llsys.AccessFSReadDir

	// execve(2) opens the file (and the ELF or #! interpreter) for reading
	// with __FMODE_EXEC, and Landlock checks READ_FILE as well as EXECUTE
	// on that open: an executable that may not be read cannot be run.
	execFile AccessFS = llsys.AccessFSExecute | llsys.AccessFSReadFile

	// Writing a file: opening it for writing, truncating it, ioctl(2) on a
	// device file opened after sandboxing (device ioctls change device
	// state, so they go with write, not read), and connecting to a
	// pathname UNIX socket (sending to it).
	writeFile AccessFS = llsys.AccessFSWriteFile | llsys.AccessFSTruncate |
		llsys.AccessFSIoctlDev | llsys.AccessFSResolveUnix

	// Writing in a directory: the file rights for everything beneath, and
	// creating, removing and renaming entries. REFER lets a file move or be
	// linked between two writable directories (the kernel still refuses a
	// move that would give the file more rights than it had). MAKE_CHAR and
	// MAKE_BLOCK are left out on purpose: a root process allowed to create
	// /tmp/sda as a block device could read the whole disk through it.
	writeDir AccessFS = writeFile | llsys.AccessFSRemoveDir | llsys.AccessFSRemoveFile |
		llsys.AccessFSMakeDir | llsys.AccessFSMakeReg | llsys.AccessFSMakeSock |
		llsys.AccessFSMakeFifo | llsys.AccessFSMakeSym | llsys.AccessFSRefer
)

// HandledFS returns the file-system rights a ruleset handles (denies unless
// a rule allows them) at the given ABI once any path rule is given: every
// right that ABI knows, so that nothing unnamed stays allowed.
func HandledFS(abi int) AccessFS { return abiConfig(abi).HandledAccessFS }

// HandledNet returns the network rights a ruleset handles at the given ABI
// once any port rule is given: TCP bind and connect (ABI 4). UDP rights
// (ABI 10) are not handled: the rules name TCP ports only, and handling UDP
// would deny all of it (DNS included).
func HandledNet(abi int) AccessNet {
	return abiConfig(abi).HandledAccessNet & (llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP)
}

// abiConfig is go-landlock's preset for an ABI (V1..V11), the empty config
// for 0.
func abiConfig(abi int) golandlock.Config {
	presets := [...]golandlock.Config{{}, golandlock.V1, golandlock.V2, golandlock.V3,
		golandlock.V4, golandlock.V5, golandlock.V6, golandlock.V7, golandlock.V8,
		golandlock.V9, golandlock.V10, golandlock.V11}
	return presets[clampABI(abi)]
}

func clampABI(abi int) int { return max(0, min(abi, MaxABI)) }

// Plan is what a ruleset will be at one ABI: the rights it handles, the
// rules it adds, and what it leaves unenforced. It is plain data (JSON) so
// that the launcher can compute and report it, then hand it to the child
// that calls Apply.
type Plan struct {
	ABI        int        `json:"abi"` // the Landlock ABI the plan is for
	BestEffort bool       `json:"bestEffort,omitempty"`
	HandledFS  AccessFS   `json:"handledFS"`
	HandledNet AccessNet  `json:"handledNet"`
	Paths      []PathRule `json:"paths,omitempty"`
	Ports      []PortRule `json:"ports,omitempty"`
	// Unenforced lists what was asked for but this ABI cannot enforce. It is
	// only ever non-empty with Options.BestEffort.
	Unenforced []Gap `json:"unenforced,omitempty"`
	// Limits lists what Landlock at this ABI does not restrict at all for
	// rules like these (not a failure: the model's documented edges).
	Limits []Gap `json:"limits,omitempty"`
	// Isolated puts the command into a Landlock domain even without
	// rules, which confines its ptrace-mode access to the sandbox (see
	// Isolate); Scoped are the IPC scopes of that domain (ABI 6).
	Isolated bool   `json:"isolated,omitempty"`
	Scoped   Scopes `json:"scoped,omitempty"`
}

// PathRule is one path-beneath rule.
type PathRule struct {
	// Path is absolute with symlinks resolved: the kernel attaches the rule
	// to the inode the path resolves to, and this is its name.
	Path   string   `json:"path"`
	Dir    bool     `json:"dir,omitempty"`
	Access AccessFS `json:"access"`
	// From names the rules that asked for it, as given ("read /etc/hostname").
	From []string `json:"from,omitempty"`
}

// PortRule is one TCP port rule.
type PortRule struct {
	Port   uint16    `json:"port"`
	Access AccessNet `json:"access"`
}

// Gap is something a plan does not enforce, and why.
type Gap struct {
	What   string `json:"what"`             // what stays allowed, e.g. "TCP port rules"
	ABI    int    `json:"abi,omitempty"`    // the ABI that enforces it; 0 when no ABI does
	Detail string `json:"detail,omitempty"` // what exactly, in a sentence
}

func (g Gap) String() string {
	s := g.What
	if g.Detail != "" {
		s += ": " + g.Detail
	}
	if g.ABI > 0 {
		s += fmt.Sprintf(" (needs Landlock ABI %d)", g.ABI)
	}
	return s
}

// Empty reports whether the plan restricts nothing: no rules and no
// isolation.
func (p *Plan) Empty() bool {
	return p == nil || (!p.HasRules() && p.Scoped == 0 && !p.Isolated)
}

// HasRules reports whether the plan restricts files or ports.
func (p *Plan) HasRules() bool {
	return p != nil && (p.HandledFS != 0 || p.HandledNet != 0)
}

// NewPlan decides what rules r become at the given Landlock ABI (from
// KernelABI, or lower to see what an older kernel would do). Paths are made
// absolute and resolved now; a path that does not exist is an error
// (*PathError): Landlock can only attach a rule to an existing file.
//
// If part of r cannot be enforced at abi, NewPlan returns an
// *UnenforceableError (errors.Is ErrUnenforceable) unless opt.BestEffort,
// in which case the plan says what is unenforced. Nothing is ever dropped
// silently.
func NewPlan(r Rules, abi int, opt Options) (*Plan, error) {
	abi = clampABI(abi)
	p := &Plan{ABI: abi, BestEffort: opt.BestEffort}
	if r.hasPaths() {
		p.HandledFS = HandledFS(abi)
	}
	if r.hasPorts() {
		p.HandledNet = HandledNet(abi)
	}

	byPath := map[string]int{}
	add := func(kind, given string) error {
		if given == "" {
			return &PathError{Kind: kind, Path: given, Err: ErrPath}
		}
		abs, err := filepath.Abs(given)
		if err != nil {
			return &PathError{Kind: kind, Path: given, Err: err}
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return &PathError{Kind: kind, Path: given, Err: err}
		}
		fi, err := os.Stat(real)
		if err != nil {
			return &PathError{Kind: kind, Path: given, Err: err}
		}
		access := rightsFor(kind, fi.IsDir()) & p.HandledFS
		i, ok := byPath[real]
		if !ok {
			i = len(p.Paths)
			byPath[real] = i
			p.Paths = append(p.Paths, PathRule{Path: real, Dir: fi.IsDir()})
		}
		pr := &p.Paths[i]
		pr.Access |= access
		if from := kind + " " + given; !slices.Contains(pr.From, from) {
			pr.From = append(pr.From, from)
		}
		return nil
	}
	for _, kr := range []struct {
		kind  string
		paths []string
	}{{"read", r.Read}, {"write", r.Write}, {"exec", r.Exec}} {
		for _, path := range kr.paths {
			if err := add(kr.kind, path); err != nil {
				return nil, err
			}
		}
	}
	if p.HandledFS == 0 {
		p.Paths = nil
	}

	ports := map[uint16]AccessNet{}
	for _, port := range r.Bind {
		ports[port] |= llsys.AccessNetBindTCP
	}
	for _, port := range r.Connect {
		ports[port] |= llsys.AccessNetConnectTCP
	}
	for _, port := range sortedKeys(ports) {
		if a := ports[port] & p.HandledNet; a != 0 {
			p.Ports = append(p.Ports, PortRule{Port: port, Access: a})
		}
	}

	p.Unenforced = unenforced(r, p)
	p.Limits = limits(r, abi)
	if len(p.Unenforced) > 0 && !opt.BestEffort {
		return nil, &UnenforceableError{ABI: abi, Gaps: p.Unenforced}
	}
	return p, nil
}

// rightsFor maps a rule kind to access rights for a file or a directory.
func rightsFor(kind string, dir bool) AccessFS {
	switch kind {
	case "read":
		if dir {
			return readDir
		}
		return readFile
	case "write":
		if dir {
			return writeDir
		}
		return writeFile
	case "exec":
		return execFile
	}
	panic("landlock: unknown rule kind " + kind)
}

// unenforced lists what r asks for that the plan's ABI cannot enforce. The
// promise sysfence makes for path rules is that of ABI 5: read, write,
// execute, truncate and device ioctl are all restricted; for port rules,
// ABI 4.
func unenforced(r Rules, p *Plan) []Gap {
	var gaps []Gap
	if p.ABI == 0 {
		if r.hasPaths() {
			gaps = append(gaps, Gap{What: "all path rules", ABI: 1,
				Detail: "Landlock is not available, every file stays accessible"})
		}
		if r.hasPorts() {
			gaps = append(gaps, Gap{What: "all port rules", ABI: abiNet,
				Detail: "Landlock is not available, every TCP port stays usable"})
		}
		return gaps
	}
	if r.hasPaths() && p.ABI < abiTruncate {
		gaps = append(gaps, Gap{What: "truncation", ABI: abiTruncate,
			Detail: "truncate(2) and O_TRUNC opens of any file, not only --allow-write ones, are not restricted"})
	}
	if r.hasPaths() && p.ABI < abiIoctlDev && readOnlyMayCoverDevice(p) {
		gaps = append(gaps, Gap{What: "device ioctls", ABI: abiIoctlDev,
			Detail: "ioctl(2) on device files opened under read or exec rules (" + strings.Join(readOnlyDevicePaths(p), ", ") + ") is not restricted"})
	}
	if r.hasPorts() && p.ABI < abiNet {
		var names []string
		for _, port := range r.Bind {
			names = append(names, fmt.Sprintf("bind %d", port))
		}
		for _, port := range r.Connect {
			names = append(names, fmt.Sprintf("connect %d", port))
		}
		gaps = append(gaps, Gap{What: "TCP port rules", ABI: abiNet,
			Detail: strings.Join(names, ", ") + " not enforced: every TCP port stays usable"})
	}
	return gaps
}

// readOnlyMayCoverDevice reports whether a rule without write could let a
// device file be opened: a directory (which may hold device nodes) or a
// device file itself. Regular files (the usual case, and everything
// execdeps adds) cannot be ioctl'd as devices.
func readOnlyMayCoverDevice(p *Plan) bool { return len(readOnlyDevicePaths(p)) > 0 }

func readOnlyDevicePaths(p *Plan) []string {
	var out []string
	for _, pr := range p.Paths {
		if pr.Access&llsys.AccessFSWriteFile != 0 {
			continue // write rules carry IOCTL_DEV where the ABI has it
		}
		if pr.Dir {
			out = append(out, pr.Path)
			continue
		}
		if fi, err := os.Stat(pr.Path); err == nil && fi.Mode()&os.ModeDevice != 0 {
			out = append(out, pr.Path)
		}
	}
	return out
}

// limits lists what Landlock at abi leaves alone for rules like r. These
// are not failures: they hold on every kernel up to the named ABI and are
// documented in docs/limits.md.
func limits(r Rules, abi int) []Gap {
	var out []Gap
	if abi == 0 {
		return nil
	}
	if r.hasPaths() {
		if abi < abiRefer {
			out = append(out, Gap{What: "cross-directory rename and link", ABI: abiRefer,
				Detail: "always denied at this ABI, even between --allow-write directories"})
		}
		if abi < abiResolveUnix {
			out = append(out, Gap{What: "pathname UNIX sockets", ABI: abiResolveUnix,
				Detail: "connect(2)/sendmsg(2) to a socket file outside the rules is not restricted"})
		}
		out = append(out, Gap{What: "metadata and open files",
			Detail: "stat, chdir, chmod, chown, xattrs, utime and files opened before the sandbox are not restricted by Landlock"})
	}
	if r.hasPorts() {
		out = append(out, Gap{What: "non-TCP sockets",
			Detail: "MPTCP sockets (IPPROTO_MPTCP) bypass TCP port rules; UDP, SCTP and raw sockets are not restricted"})
	}
	return out
}

func sortedKeys[V any](m map[uint16]V) []uint16 {
	keys := make([]uint16, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Lines describes the plan for --verbose: the ABI, each rule, and every gap.
func (p *Plan) Lines() []string {
	if p.Empty() && len(p.Unenforced) == 0 {
		return []string{"landlock: no path or port rules"}
	}
	var lines []string
	if p.HasRules() {
		lines = append(lines, fmt.Sprintf("landlock: ABI %d, handled fs %v, handled net %v", p.ABI, p.HandledFS, p.HandledNet))
	}
	if p.Isolated {
		lines = append(lines, p.isolationLine())
	}
	for _, pr := range p.Paths {
		lines = append(lines, fmt.Sprintf("landlock: allow %v on %s (%s)", pr.Access, pr.Path, strings.Join(pr.From, "; ")))
	}
	for _, pr := range p.Ports {
		lines = append(lines, fmt.Sprintf("landlock: allow %v on TCP port %d", pr.Access, pr.Port))
	}
	for _, g := range p.Unenforced {
		lines = append(lines, "landlock: UNENFORCED "+g.String())
	}
	for _, g := range p.Limits {
		lines = append(lines, "landlock: not covered: "+g.String())
	}
	return lines
}
