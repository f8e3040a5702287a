package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// completionCmd prints a shell completion script made from the command
// line's own model, so it never drifts from the commands and flags.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"The shell (${enum})."`
}

func (completionCmd) Help() string {
	return `Completes commands, flags and flag values (enums, files).

Example:
  source <(trawl completion bash)                     # bash, or in ~/.bashrc
  trawl completion zsh > "${fpath[1]}/_trawl"          # zsh
  trawl completion fish > ~/.config/fish/completions/trawl.fish`
}

func (c *completionCmd) Run(e *env, k *kong.Context) error {
	cmds := commandsOf(k.Model.Node, nil)
	switch c.Shell {
	case "bash":
		return bashCompletion(e.stdout, cmds, false)
	case "zsh":
		return bashCompletion(e.stdout, cmds, true)
	default:
		return fishCompletion(e.stdout, cmds)
	}
}

// compCommand is one command (or group of commands) for completion.
type compCommand struct {
	path  []string // from the root, e.g. ["jobs", "list"]; the root is empty
	help  string
	subs  []string
	flags []*kong.Flag
}

// commandsOf lists n and its visible descendants, with the flags each
// accepts (its own and its ancestors').
func commandsOf(n *kong.Node, inherited []*kong.Flag) []compCommand {
	flags := append(slices.Clone(inherited), visibleFlags(n.Flags)...)
	c := compCommand{help: n.Help, flags: flags}
	for p := n; p != nil && p.Parent != nil; p = p.Parent {
		c.path = append([]string{p.Name}, c.path...)
	}
	out := []compCommand{c}
	for _, child := range n.Children {
		if child.Hidden || child.Type != kong.CommandNode {
			continue
		}
		out[0].subs = append(out[0].subs, child.Name)
		out = append(out, commandsOf(child, flags)...)
	}
	return out
}

func visibleFlags(fs []*kong.Flag) []*kong.Flag {
	var out []*kong.Flag
	for _, f := range fs {
		if !f.Hidden {
			out = append(out, f)
		}
	}
	return out
}

func isPathFlag(f *kong.Flag) bool {
	return f.Tag != nil && (f.Tag.Type == "path" || f.Tag.Type == "existingfile") || f.Name == "body"
}

func bashCompletion(w io.Writer, cmds []compCommand, zsh bool) error {
	var b strings.Builder
	b.WriteString("# trawl completion for bash; load it with: source <(trawl completion bash)\n")
	if zsh {
		b.Reset()
		b.WriteString("#compdef trawl\n# trawl completion for zsh (through its bash completion support)\n")
		b.WriteString("autoload -U +X bashcompinit && bashcompinit\n")
	}
	b.WriteString(`_trawl() {
  local cur prev path i w
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "${path:+$path }$w" in
`)
	var paths []string
	for _, c := range cmds {
		if len(c.path) > 0 {
			paths = append(paths, fmt.Sprintf("%q", strings.Join(c.path, " ")))
		}
	}
	fmt.Fprintf(&b, "      %s) path=\"${path:+$path }$w\" ;;\n", strings.Join(paths, "|"))
	b.WriteString(`    esac
  done
  case "$path|$prev" in
`)
	root := cmds[0].flags // every command accepts them: one pattern each
	for _, c := range cmds {
		for _, f := range c.flags {
			pattern := fmt.Sprintf("%q", strings.Join(c.path, " ")+"|--"+f.Name)
			if slices.Contains(root, f) {
				if len(c.path) > 0 {
					continue
				}
				pattern = fmt.Sprintf("*%q", "|--"+f.Name)
			}
			var action string
			switch {
			case f.Enum != "":
				action = fmt.Sprintf(`COMPREPLY=($(compgen -W %q -- "$cur")); return`, strings.Join(f.EnumSlice(), " "))
			case isPathFlag(f):
				action = `COMPREPLY=($(compgen -f -- "$cur")); return`
			default:
				continue
			}
			fmt.Fprintf(&b, "    %s) %s ;;\n", pattern, action)
		}
	}
	b.WriteString(`  esac
  case "$path" in
`)
	for _, c := range cmds {
		words := slices.Clone(c.subs)
		for _, f := range c.flags {
			words = append(words, "--"+f.Name)
		}
		if len(c.path) == 1 && c.path[0] == "completion" {
			words = append(words, "bash", "zsh", "fish")
		}
		fmt.Fprintf(&b, "    %q) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(c.path, " "), strings.Join(words, " "))
	}
	b.WriteString("  esac\n}\ncomplete -o default -F _trawl trawl\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func fishCompletion(w io.Writer, cmds []compCommand) error {
	var b strings.Builder
	b.WriteString("# trawl completion for fish; save it as ~/.config/fish/completions/trawl.fish\ncomplete -c trawl -f\n")
	for _, c := range cmds {
		// cond holds when exactly c's path has been typed.
		var cond string
		switch len(c.path) {
		case 0:
			cond = "__fish_use_subcommand"
		default:
			var parts []string
			for _, p := range c.path {
				parts = append(parts, "__fish_seen_subcommand_from "+p)
			}
			if len(c.subs) > 0 {
				parts = append(parts, "not __fish_seen_subcommand_from "+strings.Join(c.subs, " "))
			}
			cond = strings.Join(parts, "; and ")
		}
		byName := map[string]string{}
		for _, sc := range cmds {
			if len(sc.path) == len(c.path)+1 && slices.Equal(sc.path[:len(c.path)], c.path) {
				byName[sc.path[len(sc.path)-1]] = sc.help
			}
		}
		for _, s := range c.subs {
			fmt.Fprintf(&b, "complete -c trawl -n %s -a %s -d %s\n", fishQuote(cond), s, fishQuote(byName[s]))
		}
		if len(c.path) == 1 && c.path[0] == "completion" {
			fmt.Fprintf(&b, "complete -c trawl -n %s -a 'bash zsh fish'\n", fishQuote(cond))
		}
		if len(c.path) == 0 {
			continue // the root's flags are listed with every command
		}
		for _, f := range c.flags {
			line := fmt.Sprintf("complete -c trawl -n %s -l %s", fishQuote(cond), f.Name)
			if f.Short != 0 {
				line += fmt.Sprintf(" -s %c", f.Short)
			}
			switch {
			case f.Enum != "":
				line += " -x -a " + fishQuote(strings.Join(f.EnumSlice(), " "))
			case isPathFlag(f):
				line += " -r -F"
			case !f.IsBool():
				line += " -x"
			}
			fmt.Fprintf(&b, "%s -d %s\n", line, fishQuote(firstSentence(f.Help)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
