package landlock_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/sysfence/sysfence/landlock"
)

// NewPlan decides what path and port rules become at a Landlock ABI
// (KernelABI's, or a lower one to see what an older kernel would do),
// without touching the kernel; Lines describe the plan. A launcher then
// hands the plan to the process that calls Apply before it execs.
func ExampleNewPlan() {
	rules := landlock.Rules{
		Read:    []string{"/etc"},
		Write:   []string{"/tmp"},
		Connect: []uint16{443},
	}
	plan, err := landlock.NewPlan(rules, 5, landlock.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range plan.Lines() {
		fmt.Println(l)
	}
	// Output:
	// landlock: ABI 5, handled fs {execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev}, handled net {bind_tcp,connect_tcp}
	// landlock: allow {read_file,read_dir} on /etc (read /etc)
	// landlock: allow {write_file,remove_dir,remove_file,make_dir,make_reg,make_sock,make_fifo,make_sym,refer,truncate,ioctl_dev} on /tmp (write /tmp)
	// landlock: allow {connect_tcp} on TCP port 443
	// landlock: not covered: pathname UNIX sockets: connect(2)/sendmsg(2) to a socket file outside the rules is not restricted (needs Landlock ABI 9)
	// landlock: not covered: metadata and open files: stat, chdir, chmod, chown, xattrs, utime and files opened before the sandbox are not restricted by Landlock
	// landlock: not covered: non-TCP sockets: MPTCP sockets (IPPROTO_MPTCP) bypass TCP port rules; UDP, SCTP and raw sockets are not restricted
}

// An older ABI cannot enforce everything: NewPlan refuses, unless the
// caller accepts exactly what stays open (BestEffort).
func ExampleNewPlan_bestEffort() {
	rules := landlock.Rules{Read: []string{"/etc"}, Connect: []uint16{443}}
	_, err := landlock.NewPlan(rules, 3, landlock.Options{})
	var uerr *landlock.UnenforceableError
	if errors.As(err, &uerr) {
		fmt.Printf("ABI %d cannot enforce %d of the rules' guarantees\n", uerr.ABI, len(uerr.Gaps))
	}

	plan, err := landlock.NewPlan(rules, 3, landlock.Options{BestEffort: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range plan.Unenforced {
		fmt.Println("unenforced:", g)
	}
	// Output:
	// ABI 3 cannot enforce 2 of the rules' guarantees
	// unenforced: device ioctls: ioctl(2) on device files opened under read or exec rules (/etc) is not restricted (needs Landlock ABI 5)
	// unenforced: TCP port rules: connect 443 not enforced: every TCP port stays usable (needs Landlock ABI 4)
}
