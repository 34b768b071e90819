package cmdline_test

import (
	"fmt"
	"os"

	"github.com/sysfence/sysfence/internal/cmdline"
)

func Example() {
	var quiet bool
	var allow []string
	root := &cmdline.Command{Use: "tool", Short: "A tool", SilenceErrors: true, SilenceUsage: true}
	run := &cmdline.Command{
		Use:   "run [--quiet] [--allow PATH]... -- CMD [ARGS...]",
		Short: "Run a command",
		Args:  cmdline.MinimumNArgs(1),
		RunE: func(c *cmdline.Command, args []string) error {
			fmt.Fprintln(c.OutOrStdout(), "quiet:", quiet, "allow:", allow, "cmd:", args)
			return nil
		},
	}
	run.Flags().SetInterspersed(false) // everything after CMD is CMD's
	run.Flags().BoolVarP(&quiet, "quiet", "q", false, "say nothing")
	run.Flags().StringArrayVar(&allow, "allow", nil, "allow `PATH` (repeatable)")
	root.AddCommand(run)
	root.SetOut(os.Stdout)

	root.SetArgs([]string{"run", "-q", "--allow", "/etc", "--allow=/tmp", "--", "ls", "-l"})
	root.Execute()
	root.SetArgs([]string{"run", "--help"})
	root.Execute()
	// Output:
	// quiet: true allow: [/etc /tmp] cmd: [ls -l]
	// Run a command
	//
	// Usage:
	//   tool run [--quiet] [--allow PATH]... -- CMD [ARGS...] [flags]
	//
	// Flags:
	//       --allow PATH   allow PATH (repeatable)
	//   -h, --help         help for run
	//   -q, --quiet        say nothing
}
