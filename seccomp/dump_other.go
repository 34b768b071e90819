//go:build !linux

package seccomp

func ReadTask(pid, tid int) (Task, error)                       { return Task{}, errOS }
func Tasks(pid int) ([]Task, error)                             { return nil, errOS }
func ReadFilters(pid int, tids ...int) ([]ThreadFilters, error) { return nil, errOS }
