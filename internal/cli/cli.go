package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// Exit codes shared by all commands. run and record exit with the status of
// the command they ran instead (128+N when it died from signal N).
const (
	ExitOK       = 0
	ExitCheck    = 1 // a check failed (e.g. unknown syscall name)
	ExitUsage    = 2 // bad usage or bad input
	ExitNotFound = 127
	ExitNoExec   = 126
)

// ExitError carries an exit status and, optionally, a message for stderr.
type ExitError struct {
	Code int
	Err  error // nil: exit silently (the command already reported)
	// Signal, when set, is the signal that ended the command run or
	// record ran: Exit ends sysfence by the same signal (Code, 128+N, is
	// the fallback), so that a shell sees what it would see of the
	// command itself (a script's loop stops at ^C).
	Signal syscall.Signal
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Usage wraps err as bad usage or bad input (exit 2).
func Usage(err error) error { return &ExitError{Code: ExitUsage, Err: err} }

// Usagef formats a bad-usage error.
func Usagef(format string, args ...any) error { return Usage(fmt.Errorf(format, args...)) }

// Failed wraps err as a failed check (exit 1).
func Failed(err error) error { return &ExitError{Code: ExitCheck, Err: err} }

// Silent exits with code without printing anything more.
func Silent(code int) error { return &ExitError{Code: code} }

// Died ends sysfence as a command ended: by signal sig if it is not 0,
// else with code.
func Died(code int, sig syscall.Signal) error { return &ExitError{Code: code, Signal: sig} }

// Exit reports err (see Report) and ends the process: by the signal err
// carries (see Died), or with the exit status Report gives.
func Exit(stderr io.Writer, err error) {
	code := Report(stderr, err)
	var ee *ExitError
	if errors.As(err, &ee) && ee.Signal != 0 {
		dieBy(ee.Signal)
	}
	os.Exit(code)
}

// Report prints err the way every sysfence command reports errors: one
// line on stderr prefixed with "sysfence: ", and returns the exit status.
// Errors that do not say otherwise are bad input (2).
func Report(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	code := ExitUsage
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			return code
		}
		err = ee.Err
	}
	msg := strings.TrimSpace(err.Error())
	msg = strings.ReplaceAll(msg, "\n", "\n  ")
	fmt.Fprintf(stderr, "sysfence: %s\n", msg)
	return code
}

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// IsTerminal reports whether f is a terminal (for colour and progress).
// NO_COLOR and TERM=dumb turn colour off even on a terminal.
func IsTerminal(f *os.File) bool { return isTerminal(f) }

// UseColor reports whether output to f may be coloured.
func UseColor(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(f)
}
