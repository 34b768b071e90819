//go:build !linux

package recorder

func openPidfd(int) int { return -1 }
func killPidfd(int)     {}
func closePidfd(int)    {}
