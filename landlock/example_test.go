package landlock_test

import (
	"fmt"

	"github.com/sysfence/sysfence/landlock"
)

// What a ruleset handles (denies unless a rule grants it) grows with the
// kernel's Landlock ABI.
func ExampleHandledFS() {
	for _, abi := range []int{1, 3, 5} {
		fmt.Printf("ABI %d: %v\n", abi, landlock.HandledFS(abi))
	}
	fmt.Println("ABI 4 network:", landlock.HandledNet(4))
	// Output:
	// ABI 1: {execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym}
	// ABI 3: {execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate}
	// ABI 5: {execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev}
	// ABI 4 network: {bind_tcp,connect_tcp}
}
