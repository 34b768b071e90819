// Package cmdline is sysfence's command line: a command tree with GNU
// style flags, help and usage, in the subset of spf13/cobra's and
// spf13/pflag's API that sysfence uses, with the same names (Command,
// FlagSet, Flag, Value, ...), the same parsing and the same help text.
//
// It exists for start-up time: cobra and pflag link text/template and
// net (for IP-address flags), whose initialisation every `sysfence run`
// paid. Command files import it under the names they were written with:
//
//	cobra "github.com/sysfence/sysfence/internal/cmdline"
//	pflag "github.com/sysfence/sysfence/internal/cmdline"
//
// Not provided: persistent flags, command groups, shell completion,
// deprecation marks and templates.
package cmdline
