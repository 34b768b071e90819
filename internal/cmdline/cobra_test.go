package cmdline_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	cobra "github.com/sysfence/sysfence/internal/cmdline"
	pflag "github.com/sysfence/sysfence/internal/cmdline"
)

// The package replaces spf13/cobra v1.10.2 and spf13/pflag v1.0.10 for
// sysfence: TestSameAsCobra runs a command tree through it and compares
// with what cobra printed and returned for the same tree and arguments
// (recorded with cobra, its completion command disabled).

// tree builds the command tree both implementations are compared on.
func tree(seen *[]string) *cobra.Command {
	var s string
	var b, on bool
	var n int
	var d time.Duration
	var arr, sl []string
	root := &cobra.Command{Use: "tool", Short: "A tool", Long: "tool does things.\n\nMany things.  \n"}
	run := &cobra.Command{
		Use:     "run [flags] -- CMD [ARGS...]",
		Aliases: []string{"exec"},
		Short:   "Run a command",
		Example: "  tool run -- ls\n  tool run -s x -- ls",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			*seen = append(*seen, fmtRun(c, s, b, on, n, d, arr, sl, args))
			return nil
		},
	}
	fl := run.Flags()
	fl.SetInterspersed(false)
	fl.StringVarP(&s, "str", "s", "raw", "a string\nover two lines")
	fl.BoolVarP(&b, "bool", "b", false, "a boolean")
	fl.BoolVar(&on, "on", true, "on by default")
	fl.IntVarP(&n, "num", "n", 3, "a `COUNT` of things")
	fl.DurationVar(&d, "wait", 5*time.Second, "how long")
	fl.StringArrayVar(&arr, "arr", nil, "repeatable `PATH`")
	fl.StringSliceVar(&sl, "slice", []string{"a", "b"}, "comma-separated")
	fl.String("secret", "", "hidden")
	fl.MarkHidden("secret")
	fl.Lookup("bool").Usage = "a boolean, changed"
	check := &cobra.Command{
		Use:   "check NAME",
		Short: "Check a name",
		Args:  cobra.ExactArgs(1),
		Run: func(c *cobra.Command, args []string) {
			*seen = append(*seen, "check "+args[0]+" "+c.CommandPath())
		},
	}
	hidden := &cobra.Command{Use: "hidden", Short: "Hidden", Hidden: true, Run: func(*cobra.Command, []string) { *seen = append(*seen, "hidden") }}
	topic := &cobra.Command{Use: "topic", Short: "A help topic", Long: "About the topic."}
	group := &cobra.Command{Use: "group", Short: "A group of commands"}
	leaf := &cobra.Command{Use: "leaf [X]", Short: "A leaf", Args: cobra.RangeArgs(0, 1), Run: func(c *cobra.Command, args []string) {
		*seen = append(*seen, "leaf "+c.CommandPath())
	}}
	group.AddCommand(leaf)
	root.AddCommand(run, check, hidden, topic, group)
	return root
}

func fmtRun(c *cobra.Command, s string, b, on bool, n int, d time.Duration, arr, sl []string, args []string) string {
	var set []string
	c.Flags().Visit(func(f *pflag.Flag) { set = append(set, f.Name+"="+f.Value.String()) })
	return fmt.Sprintf("run s=%q b=%v on=%v n=%d d=%v arr=%q sl=%q args=%q dash=%d set=%v", s, b, on, n, d, arr, sl, args, c.ArgsLenAtDash(), set)
}

var cobraCases = []struct {
	args                      []string
	seen, err, stdout, stderr string
}{
	{args: []string{},
		seen:   "",
		err:    "",
		stdout: "tool does things.\n\nMany things.\n\nUsage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"--help"},
		seen:   "",
		err:    "",
		stdout: "tool does things.\n\nMany things.\n\nUsage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"-h"},
		seen:   "",
		err:    "",
		stdout: "tool does things.\n\nMany things.\n\nUsage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"help"},
		seen:   "",
		err:    "",
		stdout: "tool does things.\n\nMany things.\n\nUsage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"help", "run"},
		seen:   "",
		err:    "",
		stdout: "Run a command\n\nUsage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n",
		stderr: ""},
	{args: []string{"help", "nope"},
		seen:   "",
		err:    "",
		stdout: "Unknown help topic [`nope`]\nUsage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"help", "group", "leaf"},
		seen:   "",
		err:    "",
		stdout: "A leaf\n\nUsage:\n  tool group leaf [X] [flags]\n\nFlags:\n  -h, --help   help for leaf\n",
		stderr: ""},
	{args: []string{"help", "topic"},
		seen:   "",
		err:    "",
		stdout: "About the topic.\n\n",
		stderr: ""},
	{args: []string{"run", "--help"},
		seen:   "",
		err:    "",
		stdout: "Run a command\n\nUsage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n",
		stderr: ""},
	{args: []string{"check", "-h"},
		seen:   "",
		err:    "",
		stdout: "Check a name\n\nUsage:\n  tool check NAME [flags]\n\nFlags:\n  -h, --help   help for check\n",
		stderr: ""},
	{args: []string{"group"},
		seen:   "",
		err:    "",
		stdout: "A group of commands\n\nUsage:\n  tool group [command]\n\nAvailable Commands:\n  leaf        A leaf\n\nFlags:\n  -h, --help   help for group\n\nUse \"tool group [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"group", "--help"},
		seen:   "",
		err:    "",
		stdout: "A group of commands\n\nUsage:\n  tool group [command]\n\nAvailable Commands:\n  leaf        A leaf\n\nFlags:\n  -h, --help   help for group\n\nUse \"tool group [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"topic"},
		seen:   "",
		err:    "",
		stdout: "About the topic.\n\n",
		stderr: ""},
	{args: []string{"run", "--", "ls", "-l"},
		seen:   "run s=\"raw\" b=false on=true n=3 d=5s arr=[] sl=[\"a\" \"b\"] args=[\"ls\" \"-l\"] dash=0 set=[]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"run", "ls", "-s", "x"},
		seen:   "run s=\"raw\" b=false on=true n=3 d=5s arr=[] sl=[\"a\" \"b\"] args=[\"ls\" \"-s\" \"x\"] dash=-1 set=[]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"run", "-s", "x", "-bn7", "--wait=1m", "--arr", "a,b", "--arr=c", "--slice", "x,y", "--slice", "z", "--", "ls"},
		seen:   "run s=\"x\" b=true on=true n=7 d=1m0s arr=[\"a,b\" \"c\"] sl=[\"x\" \"y\" \"z\"] args=[\"ls\"] dash=0 set=[arr=[\"a,b\",c] bool=true num=7 slice=[x,y,z] str=x wait=1m0s]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"exec", "-s=y", "ls"},
		seen:   "run s=\"y\" b=false on=true n=3 d=5s arr=[] sl=[\"a\" \"b\"] args=[\"ls\"] dash=-1 set=[str=y]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"run", "-sfoo", "ls"},
		seen:   "run s=\"foo\" b=false on=true n=3 d=5s arr=[] sl=[\"a\" \"b\"] args=[\"ls\"] dash=-1 set=[str=foo]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"run", "-b=false", "--on=false", "ls"},
		seen:   "run s=\"raw\" b=false on=false n=3 d=5s arr=[] sl=[\"a\" \"b\"] args=[\"ls\"] dash=-1 set=[bool=false on=false]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"run", "--secret", "v", "ls"},
		seen:   "run s=\"raw\" b=false on=true n=3 d=5s arr=[] sl=[\"a\" \"b\"] args=[\"ls\"] dash=-1 set=[secret=v]",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"run"},
		seen:   "",
		err:    "requires at least 1 arg(s), only received 0",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: requires at least 1 arg(s), only received 0\n"},
	{args: []string{"run", "--"},
		seen:   "",
		err:    "requires at least 1 arg(s), only received 0",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: requires at least 1 arg(s), only received 0\n"},
	{args: []string{"run", "--bogus", "ls"},
		seen:   "",
		err:    "unknown flag: --bogus",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: unknown flag: --bogus\n"},
	{args: []string{"run", "-x", "ls"},
		seen:   "",
		err:    "unknown shorthand flag: 'x' in -x",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: unknown shorthand flag: 'x' in -x\n"},
	{args: []string{"run", "-bx", "ls"},
		seen:   "",
		err:    "unknown shorthand flag: 'x' in -x",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: unknown shorthand flag: 'x' in -x\n"},
	{args: []string{"run", "-s"},
		seen:   "",
		err:    "flag needs an argument: 's' in -s",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: flag needs an argument: 's' in -s\n"},
	{args: []string{"run", "--str"},
		seen:   "",
		err:    "flag needs an argument: --str",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: flag needs an argument: --str\n"},
	{args: []string{"run", "-n", "x", "ls"},
		seen:   "",
		err:    "invalid argument \"x\" for \"-n, --num\" flag: strconv.ParseInt: parsing \"x\": invalid syntax",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: invalid argument \"x\" for \"-n, --num\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n"},
	{args: []string{"run", "--wait", "forever", "ls"},
		seen:   "",
		err:    "invalid argument \"forever\" for \"--wait\" flag: time: invalid duration \"forever\"",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: invalid argument \"forever\" for \"--wait\" flag: time: invalid duration \"forever\"\n"},
	{args: []string{"run", "--bool=maybe", "ls"},
		seen:   "",
		err:    "invalid argument \"maybe\" for \"-b, --bool\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: invalid argument \"maybe\" for \"-b, --bool\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\n"},
	{args: []string{"run", "---x"},
		seen:   "",
		err:    "bad flag syntax: ---x",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: bad flag syntax: ---x\n"},
	{args: []string{"run", "--=x"},
		seen:   "",
		err:    "bad flag syntax: --=x",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: bad flag syntax: --=x\n"},
	{args: []string{"run", "-=x"},
		seen:   "",
		err:    "unknown shorthand flag: '=' in -=x",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: unknown shorthand flag: '=' in -=x\n"},
	{args: []string{"run", "--slice", "\"a,b", "ls"},
		seen:   "",
		err:    "invalid argument \"\\\"a,b\" for \"--slice\" flag: parse error on line 1, column 5: extraneous or missing \" in quoted-field",
		stdout: "Usage:\n  tool run [flags] -- CMD [ARGS...]\n\nAliases:\n  run, exec\n\nExamples:\n  tool run -- ls\n  tool run -s x -- ls\n\nFlags:\n      --arr PATH        repeatable PATH\n  -b, --bool            a boolean, changed\n  -h, --help            help for run\n  -n, --num COUNT       a COUNT of things (default 3)\n      --on              on by default (default true)\n      --slice strings   comma-separated (default [a,b])\n  -s, --str string      a string\n                        over two lines (default \"raw\")\n      --wait duration   how long (default 5s)\n\n",
		stderr: "Error: invalid argument \"\\\"a,b\" for \"--slice\" flag: parse error on line 1, column 5: extraneous or missing \" in quoted-field\n"},
	{args: []string{"check"},
		seen:   "",
		err:    "accepts 1 arg(s), received 0",
		stdout: "Usage:\n  tool check NAME [flags]\n\nFlags:\n  -h, --help   help for check\n\n",
		stderr: "Error: accepts 1 arg(s), received 0\n"},
	{args: []string{"check", "a", "b"},
		seen:   "",
		err:    "accepts 1 arg(s), received 2",
		stdout: "Usage:\n  tool check NAME [flags]\n\nFlags:\n  -h, --help   help for check\n\n",
		stderr: "Error: accepts 1 arg(s), received 2\n"},
	{args: []string{"check", "a"},
		seen:   "check a tool check",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"check", "--", "-a"},
		seen:   "check -a tool check",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"chek", "a"},
		seen:   "",
		err:    "unknown command \"chek\" for \"tool\"\n\nDid you mean this?\n\tcheck\n",
		stdout: "",
		stderr: "Error: unknown command \"chek\" for \"tool\"\n\nDid you mean this?\n\tcheck\n\nRun 'tool --help' for usage.\n"},
	{args: []string{"ru"},
		seen:   "",
		err:    "unknown command \"ru\" for \"tool\"\n\nDid you mean this?\n\trun\n",
		stdout: "",
		stderr: "Error: unknown command \"ru\" for \"tool\"\n\nDid you mean this?\n\trun\n\nRun 'tool --help' for usage.\n"},
	{args: []string{"xyz"},
		seen:   "",
		err:    "unknown command \"xyz\" for \"tool\"",
		stdout: "",
		stderr: "Error: unknown command \"xyz\" for \"tool\"\nRun 'tool --help' for usage.\n"},
	{args: []string{"Run"},
		seen:   "",
		err:    "unknown command \"Run\" for \"tool\"\n\nDid you mean this?\n\trun\n",
		stdout: "",
		stderr: "Error: unknown command \"Run\" for \"tool\"\n\nDid you mean this?\n\trun\n\nRun 'tool --help' for usage.\n"},
	{args: []string{"hidden"},
		seen:   "hidden",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"group", "leaf", "x"},
		seen:   "leaf tool group leaf",
		err:    "",
		stdout: "",
		stderr: ""},
	{args: []string{"group", "leaf", "x", "y"},
		seen:   "",
		err:    "accepts between 0 and 1 arg(s), received 2",
		stdout: "Usage:\n  tool group leaf [X] [flags]\n\nFlags:\n  -h, --help   help for leaf\n\n",
		stderr: "Error: accepts between 0 and 1 arg(s), received 2\n"},
	{args: []string{"group", "lef"},
		seen:   "",
		err:    "",
		stdout: "A group of commands\n\nUsage:\n  tool group [command]\n\nAvailable Commands:\n  leaf        A leaf\n\nFlags:\n  -h, --help   help for group\n\nUse \"tool group [command] --help\" for more information about a command.\n",
		stderr: ""},
	{args: []string{"--bogus"},
		seen:   "",
		err:    "unknown flag: --bogus",
		stdout: "Usage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n\n",
		stderr: "Error: unknown flag: --bogus\n"},
	{args: []string{"-s", "run"},
		seen:   "",
		err:    "unknown shorthand flag: 's' in -s",
		stdout: "Usage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n\n",
		stderr: "Error: unknown shorthand flag: 's' in -s\n"},
	{args: []string{"--help=maybe"},
		seen:   "",
		err:    "invalid argument \"maybe\" for \"-h, --help\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax",
		stdout: "Usage:\n  tool [command]\n\nAvailable Commands:\n  check       Check a name\n  group       A group of commands\n  help        Help about any command\n  run         Run a command\n\nFlags:\n  -h, --help   help for tool\n\nAdditional help topics:\n  tool topic  A help topic\n\nUse \"tool [command] --help\" for more information about a command.\n\n",
		stderr: "Error: invalid argument \"maybe\" for \"-h, --help\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax\n"},
	{args: []string{"help", "--bogus"},
		seen:   "",
		err:    "unknown flag: --bogus",
		stdout: "Usage:\n  tool help [command] [flags]\n\nFlags:\n  -h, --help   help for help\n\n",
		stderr: "Error: unknown flag: --bogus\n"},
}

func TestSameAsCobra(t *testing.T) {
	for _, tc := range cobraCases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var seen []string
			root := tree(&seen)
			var out, errb bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errb)
			root.SetArgs(tc.args)
			err := root.Execute()
			es := ""
			if err != nil {
				es = err.Error()
			}
			if got := strings.Join(seen, "; "); got != tc.seen {
				t.Errorf("ran %q, want %q", got, tc.seen)
			}
			if es != tc.err {
				t.Errorf("error %q, want %q", es, tc.err)
			}
			if out.String() != tc.stdout {
				t.Errorf("stdout\n%s\nwant\n%s", out.String(), tc.stdout)
			}
			if errb.String() != tc.stderr {
				t.Errorf("stderr\n%s\nwant\n%s", errb.String(), tc.stderr)
			}
		})
	}
}
