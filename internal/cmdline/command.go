package cmdline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"
)

// Command is a command of a command tree: sysfence and its subcommands.
type Command struct {
	// Use is the one-line usage; its first word is the command's name.
	Use string
	// Aliases are other names the command answers to.
	Aliases []string
	// SuggestFor are names for which the command is suggested.
	SuggestFor []string
	// Short is the line in the parent's list of commands.
	Short string
	// Long is the help text (Short when empty).
	Long string
	// Example is shown under "Examples:" as it is.
	Example string
	// Args checks the positional arguments (nil: any, and for a parent,
	// no unknown command).
	Args PositionalArgs
	// Run or RunE does the work; a command with neither only shows help.
	Run  func(cmd *Command, args []string)
	RunE func(cmd *Command, args []string) error
	// Hidden leaves the command out of lists and suggestions.
	Hidden bool
	// SilenceErrors: Execute does not print the error it returns;
	// SilenceUsage: nor the usage after it. Either on the root applies
	// to every command.
	SilenceErrors bool
	SilenceUsage  bool
	// DisableSuggestions turns off "Did you mean this?" for unknown
	// commands; SuggestionsMinimumDistance is the edit distance up to
	// which a command is suggested (there, 2 when 0).
	DisableSuggestions         bool
	SuggestionsMinimumDistance int

	parent        *Command
	commands      []*Command
	sorted        bool
	helpCommand   *Command
	flags         *FlagSet
	flagErrorFunc func(*Command, error) error
	args          []string
	argsSet       bool
	in            io.Reader
	out, err      io.Writer
	maxNameLen    int
}

// PositionalArgs checks a command's positional arguments.
type PositionalArgs func(cmd *Command, args []string) error

// ArbitraryArgs accepts any arguments.
func ArbitraryArgs(cmd *Command, args []string) error { return nil }

// MinimumNArgs accepts n or more arguments.
func MinimumNArgs(n int) PositionalArgs {
	return func(cmd *Command, args []string) error {
		if len(args) < n {
			return fmt.Errorf("requires at least %d arg(s), only received %d", n, len(args))
		}
		return nil
	}
}

// ExactArgs accepts exactly n arguments.
func ExactArgs(n int) PositionalArgs {
	return func(cmd *Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("accepts %d arg(s), received %d", n, len(args))
		}
		return nil
	}
}

// RangeArgs accepts min to max arguments.
func RangeArgs(min, max int) PositionalArgs {
	return func(cmd *Command, args []string) error {
		if len(args) < min || len(args) > max {
			return fmt.Errorf("accepts between %d and %d arg(s), received %d", min, max, len(args))
		}
		return nil
	}
}

// legacyArgs is the check of a command without Args: a root with
// subcommands refuses an unknown one.
func legacyArgs(c *Command, args []string) error {
	if len(c.commands) > 0 && c.parent == nil && len(args) > 0 {
		return fmt.Errorf("unknown command %q for %q%s", args[0], c.CommandPath(), c.findSuggestions(args[0]))
	}
	return nil
}

// Name is the first word of Use.
func (c *Command) Name() string {
	name, _, _ := strings.Cut(c.Use, " ")
	return name
}

// CommandPath is the names from the root down to c: "sysfence run".
func (c *Command) CommandPath() string {
	if c.parent != nil {
		return c.parent.CommandPath() + " " + c.Name()
	}
	return c.Name()
}

// UseLine is the usage line with the parents' names, and "[flags]".
func (c *Command) UseLine() string {
	line := c.Use
	if c.parent != nil {
		line = c.parent.CommandPath() + " " + line
	}
	if c.Flags().HasAvailableFlags() && !strings.Contains(line, "[flags]") {
		line += " [flags]"
	}
	return line
}

// HasParent reports whether c is a subcommand.
func (c *Command) HasParent() bool { return c.parent != nil }

// Root is the top of c's tree.
func (c *Command) Root() *Command {
	for c.parent != nil {
		c = c.parent
	}
	return c
}

// Runnable reports whether c does something besides help.
func (c *Command) Runnable() bool { return c.Run != nil || c.RunE != nil }

// HasSubCommands reports whether c has subcommands.
func (c *Command) HasSubCommands() bool { return len(c.commands) > 0 }

// HasExample reports whether c has examples.
func (c *Command) HasExample() bool { return c.Example != "" }

// IsAvailableCommand reports whether c is listed: not hidden, not the help
// command, and runnable or a parent of such.
func (c *Command) IsAvailableCommand() bool {
	if c.Hidden || c.parent != nil && c.parent.helpCommand == c {
		return false
	}
	return c.Runnable() || c.HasAvailableSubCommands()
}

// HasAvailableSubCommands reports whether c lists any subcommand.
func (c *Command) HasAvailableSubCommands() bool {
	return slices.ContainsFunc(c.commands, (*Command).IsAvailableCommand)
}

// IsAdditionalHelpTopicCommand reports whether c is only a help topic:
// neither runnable nor hidden, with no other kind of subcommand.
func (c *Command) IsAdditionalHelpTopicCommand() bool {
	if c.Runnable() || c.Hidden {
		return false
	}
	for _, s := range c.commands {
		if !s.IsAdditionalHelpTopicCommand() {
			return false
		}
	}
	return true
}

// AddCommand adds subcommands.
func (c *Command) AddCommand(cmds ...*Command) {
	for _, x := range cmds {
		if x == c {
			panic("Command can't be a child of itself")
		}
		x.parent = c
		c.maxNameLen = max(c.maxNameLen, len(x.Name()))
		c.commands = append(c.commands, x)
		c.sorted = false
	}
}

// RemoveCommand removes subcommands.
func (c *Command) RemoveCommand(cmds ...*Command) {
	c.commands = slices.DeleteFunc(c.commands, func(x *Command) bool {
		if slices.Contains(cmds, x) {
			x.parent = nil
			return true
		}
		return false
	})
	c.maxNameLen = 0
	for _, x := range c.commands {
		c.maxNameLen = max(c.maxNameLen, len(x.Name()))
	}
}

// Commands returns the subcommands, sorted by name.
func (c *Command) Commands() []*Command {
	if !c.sorted {
		slices.SortStableFunc(c.commands, func(a, b *Command) int { return strings.Compare(a.Name(), b.Name()) })
		c.sorted = true
	}
	return c.commands
}

// Flags are c's flags.
func (c *Command) Flags() *FlagSet {
	if c.flags == nil {
		c.flags = NewFlagSet(c.Name())
	}
	return c.flags
}

// ParseFlags parses args into c's flags.
func (c *Command) ParseFlags(args []string) error { return c.Flags().Parse(args) }

// ArgsLenAtDash is how many positional arguments preceded "--", or -1.
func (c *Command) ArgsLenAtDash() int { return c.Flags().ArgsLenAtDash() }

// ValidateArgs checks positional arguments with c.Args.
func (c *Command) ValidateArgs(args []string) error {
	if c.Args == nil {
		return nil
	}
	return c.Args(c, args)
}

// SetFlagErrorFunc sets what a flag error becomes, for c and the
// subcommands that set none.
func (c *Command) SetFlagErrorFunc(f func(*Command, error) error) { c.flagErrorFunc = f }

// FlagErrorFunc is the function of c or its nearest parent that has one.
func (c *Command) FlagErrorFunc() func(*Command, error) error {
	for p := c; p != nil; p = p.parent {
		if p.flagErrorFunc != nil {
			return p.flagErrorFunc
		}
	}
	return func(_ *Command, err error) error { return err }
}

// SetArgs sets the arguments Execute parses instead of os.Args[1:] (nil
// is none).
func (c *Command) SetArgs(a []string) { c.args, c.argsSet = a, true }

// SetIn, SetOut and SetErr replace standard input, output and error for
// c and its subcommands.
func (c *Command) SetIn(r io.Reader)  { c.in = r }
func (c *Command) SetOut(w io.Writer) { c.out = w }
func (c *Command) SetErr(w io.Writer) { c.err = w }

// InOrStdin, OutOrStdout, ErrOrStderr and OutOrStderr are where c reads
// and writes: what SetIn, SetOut, SetErr gave c or a parent, else the
// process's own.
func (c *Command) InOrStdin() io.Reader {
	for p := c; p != nil; p = p.parent {
		if p.in != nil {
			return p.in
		}
	}
	return os.Stdin
}

func (c *Command) OutOrStdout() io.Writer { return c.output(os.Stdout) }
func (c *Command) OutOrStderr() io.Writer { return c.output(os.Stderr) }

func (c *Command) ErrOrStderr() io.Writer {
	for p := c; p != nil; p = p.parent {
		if p.err != nil {
			return p.err
		}
	}
	return os.Stderr
}

func (c *Command) output(def io.Writer) io.Writer {
	for p := c; p != nil; p = p.parent {
		if p.out != nil {
			return p.out
		}
	}
	return def
}

// Print and friends write to OutOrStderr; PrintErr and friends to
// ErrOrStderr.
func (c *Command) Print(i ...any)                    { fmt.Fprint(c.OutOrStderr(), i...) }
func (c *Command) Println(i ...any)                  { c.Print(fmt.Sprintln(i...)) }
func (c *Command) Printf(format string, i ...any)    { c.Print(fmt.Sprintf(format, i...)) }
func (c *Command) PrintErr(i ...any)                 { fmt.Fprint(c.ErrOrStderr(), i...) }
func (c *Command) PrintErrln(i ...any)               { c.PrintErr(fmt.Sprintln(i...)) }
func (c *Command) PrintErrf(format string, i ...any) { c.PrintErr(fmt.Sprintf(format, i...)) }

// Execute runs the command the arguments name (from the root), and
// returns its error. Help asked for (-h, --help, the help command, a
// command that only groups others) is printed and is no error.
func (c *Command) Execute() error {
	_, err := c.ExecuteC()
	return err
}

// ExecuteC is Execute, also returning the command that ran.
func (c *Command) ExecuteC() (*Command, error) {
	if c.parent != nil {
		return c.Root().ExecuteC()
	}
	c.initHelpCmd()
	args := c.args
	if !c.argsSet {
		args = os.Args[1:]
	}
	cmd, flags, err := c.Find(args)
	if err != nil {
		if cmd != nil {
			c = cmd
		}
		if !c.SilenceErrors {
			c.PrintErrln("Error:", err.Error())
			c.PrintErrf("Run '%v --help' for usage.\n", c.CommandPath())
		}
		return c, err
	}
	err = cmd.execute(flags)
	if errors.Is(err, ErrHelp) {
		cmd.Help()
		return cmd, nil
	}
	if err != nil {
		if !cmd.SilenceErrors && !c.SilenceErrors {
			c.PrintErrln("Error:", err.Error())
		}
		if !cmd.SilenceUsage && !c.SilenceUsage {
			c.Println(cmd.UsageString())
		}
	}
	return cmd, err
}

func (c *Command) execute(args []string) error {
	c.initHelpFlag()
	if err := c.ParseFlags(args); err != nil {
		return c.FlagErrorFunc()(c, err)
	}
	if help, _ := c.Flags().GetBool("help"); help || !c.Runnable() {
		return ErrHelp
	}
	pos := c.Flags().Args()
	if err := c.ValidateArgs(pos); err != nil {
		return err
	}
	if c.RunE != nil {
		return c.RunE(c, pos)
	}
	c.Run(c, pos)
	return nil
}

// initHelpFlag adds -h, --help.
func (c *Command) initHelpFlag() {
	if c.Flags().Lookup("help") == nil {
		c.Flags().BoolP("help", "h", false, "help for "+c.Name())
	}
}

// initHelpCmd adds the help command to a root with subcommands.
func (c *Command) initHelpCmd() {
	if !c.HasSubCommands() {
		return
	}
	if c.helpCommand == nil {
		c.helpCommand = &Command{
			Use:   "help [command]",
			Short: "Help about any command",
			Long: `Help provides help for any command in the application.
Simply type ` + c.Name() + ` help [path to command] for full details.`,
			Run: func(h *Command, args []string) {
				cmd, _, err := h.Root().Find(args)
				if cmd == nil || err != nil {
					h.Printf("Unknown help topic %#q\n", args)
					h.Root().Usage()
					return
				}
				cmd.initHelpFlag()
				cmd.Help()
			},
		}
	}
	c.RemoveCommand(c.helpCommand)
	c.AddCommand(c.helpCommand)
}

// Find finds the command args name, from c down, and returns it with the
// arguments left for it (flags included).
func (c *Command) Find(args []string) (*Command, []string, error) {
	cmd, rest := c, args
	for {
		words := stripFlags(rest, cmd)
		if len(words) == 0 {
			break
		}
		next := cmd.findNext(words[0])
		if next == nil {
			break
		}
		rest = cmd.argsMinusFirst(rest, words[0])
		cmd = next
	}
	if cmd.Args == nil {
		return cmd, rest, legacyArgs(cmd, stripFlags(rest, cmd))
	}
	return cmd, rest, nil
}

func (c *Command) findNext(name string) *Command {
	for _, s := range c.commands {
		if s.Name() == name || slices.Contains(s.Aliases, name) {
			return s
		}
	}
	return nil
}

// takesValue reports whether flag word s (without "=") of c takes the
// next argument as its value: any flag c does not know is assumed to.
func takesValue(s string, c *Command) bool {
	if strings.Contains(s, "=") {
		return false
	}
	if strings.HasPrefix(s, "--") {
		fl := c.Flags().Lookup(s[2:])
		return fl == nil || fl.NoOptDefVal == ""
	}
	if len(s) == 2 && s[0] == '-' {
		fl := c.Flags().ShorthandLookup(s[1:])
		return fl == nil || fl.NoOptDefVal == ""
	}
	return false
}

// stripFlags returns the words of args that are not flags or flag values,
// up to "--".
func stripFlags(args []string, c *Command) []string {
	var words []string
	for len(args) > 0 {
		s := args[0]
		args = args[1:]
		switch {
		case s == "--":
			return words
		case takesValue(s, c):
			if len(args) <= 1 {
				return words
			}
			args = args[1:]
		case s != "" && !strings.HasPrefix(s, "-"):
			words = append(words, s)
		}
	}
	return words
}

// argsMinusFirst removes the first x of args that is no flag value.
func (c *Command) argsMinusFirst(args []string, x string) []string {
	for i := 0; i < len(args); i++ {
		s := args[i]
		switch {
		case s == "--":
			return args
		case takesValue(s, c):
			i++
		case s == x:
			return slices.Concat(args[:i], args[i+1:])
		}
	}
	return args
}

// SuggestionsFor lists the commands a mistyped name may mean: close in
// edit distance, starting with it, or naming it in SuggestFor.
func (c *Command) SuggestionsFor(typed string) []string {
	var out []string
	for _, s := range c.commands {
		if !s.IsAvailableCommand() {
			continue
		}
		if editDistance(strings.ToLower(typed), strings.ToLower(s.Name())) <= c.SuggestionsMinimumDistance ||
			strings.HasPrefix(strings.ToLower(s.Name()), strings.ToLower(typed)) {
			out = append(out, s.Name())
		}
		for _, f := range s.SuggestFor {
			if strings.EqualFold(typed, f) {
				out = append(out, s.Name())
			}
		}
	}
	return out
}

func (c *Command) findSuggestions(arg string) string {
	if c.DisableSuggestions {
		return ""
	}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	s := c.SuggestionsFor(arg)
	if len(s) == 0 {
		return ""
	}
	return "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
}

// editDistance is the Levenshtein distance between two byte strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1]
			} else {
				cur[j] = 1 + min(prev[j], cur[j-1], prev[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Help prints c's help (Long, then usage) to OutOrStdout.
func (c *Command) Help() error {
	w := c.OutOrStdout()
	text := c.Long
	if text == "" {
		text = c.Short
	}
	if text = strings.TrimRightFunc(text, unicode.IsSpace); text != "" {
		fmt.Fprintf(w, "%s\n\n", text)
	}
	if c.Runnable() || c.HasSubCommands() {
		fmt.Fprint(w, c.UsageString())
	}
	return nil
}

// Usage prints c's usage to OutOrStderr.
func (c *Command) Usage() error {
	fmt.Fprint(c.OutOrStderr(), c.UsageString())
	return nil
}

// UsageString is c's usage: how to call it, examples, subcommands and
// flags.
func (c *Command) UsageString() string {
	var b strings.Builder
	b.WriteString("Usage:")
	if c.Runnable() {
		b.WriteString("\n  " + c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n  " + c.CommandPath() + " [command]")
	}
	if len(c.Aliases) > 0 {
		b.WriteString("\n\nAliases:\n  " + strings.Join(append([]string{c.Name()}, c.Aliases...), ", "))
	}
	if c.HasExample() {
		b.WriteString("\n\nExamples:\n" + c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\nAvailable Commands:")
		pad := max(c.maxNameLen, 11)
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() || s.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s %s", pad, s.Name(), s.Short)
			}
		}
	}
	if c.Flags().HasAvailableFlags() {
		b.WriteString("\n\nFlags:\n" + strings.TrimRightFunc(c.Flags().FlagUsages(), unicode.IsSpace))
	}
	if slices.ContainsFunc(c.commands, (*Command).IsAdditionalHelpTopicCommand) {
		b.WriteString("\n\nAdditional help topics:")
		for _, s := range c.Commands() {
			if s.IsAdditionalHelpTopicCommand() {
				fmt.Fprintf(&b, "\n  %-*s %s", max(c.maxPathLen(), 11), s.CommandPath(), s.Short)
			}
		}
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n\nUse \"%s [command] --help\" for more information about a command.", c.CommandPath())
	}
	b.WriteString("\n")
	return b.String()
}

func (c *Command) maxPathLen() int {
	n := 0
	for _, s := range c.commands {
		n = max(n, len(s.CommandPath()))
	}
	return n
}
