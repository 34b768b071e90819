package record

import (
	"fmt"
	"strings"
)

// Names of common constants, only to make profile comments readable.
var (
	socketDomains = [...]string{1: "AF_UNIX", 2: "AF_INET", 4: "AF_IPX", 5: "AF_APPLETALK", 9: "AF_X25",
		10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET", 29: "AF_CAN", 31: "AF_BLUETOOTH", 38: "AF_ALG",
		40: "AF_VSOCK", 44: "AF_XDP"}
	socketTypes = [...]string{1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
		5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET"}
	cloneFlags = []struct {
		bit  uint64
		name string
	}{{0x80, "CLONE_NEWTIME"}, {0x20000, "CLONE_NEWNS"}, {0x02000000, "CLONE_NEWCGROUP"}, {0x04000000, "CLONE_NEWUTS"},
		{0x08000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"}, {0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"}}
)

// describeArgs renders one argument rule for a comment, e.g.
// "socket(domain=AF_INET, type=SOCK_STREAM)".
func describeArgs(spec ArgSpec, k ArgValues) string {
	var parts []string
	for i, f := range spec.Fields {
		parts = append(parts, describeField(spec.Name, i, f, k[i]))
	}
	return spec.Name + "(" + strings.Join(parts, ", ") + ")"
}

func describeField(name string, i int, f ArgField, v uint64) string {
	switch {
	case name == "socket" && i == 0:
		return "domain=" + named(socketDomains[:], v)
	case name == "socket":
		return "type=" + named(socketTypes[:], v)
	case name == "clone" || name == "clone3" || name == "unshare":
		var set []string
		for _, c := range cloneFlags {
			if v&c.bit != 0 {
				set = append(set, c.name)
			}
		}
		if len(set) == 0 {
			return "no namespace flags"
		}
		return strings.Join(set, "|")
	case f.Mask == protExec:
		if v != 0 {
			return "PROT_EXEC"
		}
		return "no PROT_EXEC"
	case name == "ioctl":
		return fmt.Sprintf("request=%#x", v)
	case name == "prctl":
		return fmt.Sprintf("option=%d", v)
	}
	return fmt.Sprintf("%#x", v)
}

func named(names []string, v uint64) string {
	if v < uint64(len(names)) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprint(v)
}
