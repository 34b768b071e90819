//go:build !linux

package seccomp

import (
	"fmt"
	"runtime"
	"syscall"

	"github.com/sysfence/sysfence/bpf"
)

var errOS = fmt.Errorf("seccomp: %s has no seccomp: %w", runtime.GOOS, ErrNotSupported)

// Listener is the supervisor's end of a notifying filter (Linux only).
type Listener struct{}

func SetNoNewPrivs() error                                  { return errOS }
func NoNewPrivs() (bool, error)                             { return false, errOS }
func CurrentMode() (Mode, error)                            { return 0, errOS }
func LoadFilter(bpf.Program, FilterFlag) (*Listener, error) { return nil, errOS }
func Load(bpf.Program, FilterFlag) (*Listener, error)       { return nil, errOS }
func SetStrict() error                                      { return errOS }
func CheckFilter() error                                    { return errOS }
func CheckStrict() error                                    { return errOS }
func CheckFlags(FilterFlag) error                           { return errOS }
func CheckAction(bpf.Action) error                          { return errOS }
func CheckNotify() error                                    { return errOS }
func NotifSizes() (NotifSizesInfo, error)                   { return NotifSizesInfo{}, errOS }
func NewListener(int) (*Listener, error)                    { return nil, errOS }

func (l *Listener) Fd() int                                        { return -1 }
func (l *Listener) SetSyncWakeUp() error                           { return errOS }
func (l *Listener) Shutdown()                                      {}
func (l *Listener) Close() error                                   { return errOS }
func (l *Listener) Receive() (*Notif, error)                       { return nil, errOS }
func (l *Listener) Respond(Response) error                         { return errOS }
func (l *Listener) Continue(uint64) error                          { return errOS }
func (l *Listener) Fail(uint64, syscall.Errno) error               { return errOS }
func (l *Listener) Return(uint64, int64) error                     { return errOS }
func (l *Listener) IDValid(uint64) error                           { return errOS }
func (l *Listener) AddFD(AddFD) (int, error)                       { return -1, errOS }
func (l *Listener) ReadMemory(*Notif, uint64, []byte) (int, error) { return 0, errOS }
