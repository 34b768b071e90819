package record

// Progress is what a running recording has seen so far, for a live
// display.
type Progress struct {
	// Processes counts the processes seen: the command and the processes
	// it and its descendants created.
	Processes uint64
	// Syscalls counts the distinct syscalls seen, per ABI (an (ABI,
	// number) pair counts once).
	Syscalls int
}
