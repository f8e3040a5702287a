package main

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/trawlhq/trawl/client"
)

// TestHelpHasExamples: every command's --help shows an example.
func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	parser, err := kong.New(&cli{}, kong.Vars{"version": version, "defaultURL": client.DefaultURL})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commandsOf(parser.Model.Node, nil) {
		if len(c.path) == 0 {
			continue
		}
		var stdout, stderr bytes.Buffer
		args := append(append([]string{}, c.path...), "--help")
		if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(stdout.String(), "Example:") {
			t.Errorf("trawl %s --help has no example:\n%s", strings.Join(c.path, " "), stdout.String())
		}
	}
}

// TestCompletion: the bash script completes commands, subcommands and
// flag values in a real bash; the fish script lists commands and flags.
func TestCompletion(t *testing.T) {
	t.Parallel()
	script := func(shell string) string {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"completion", shell}, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Fatalf("completion %s: %v\n%s", shell, err, stderr.String())
		}
		return stdout.String()
	}
	fish := script("fish")
	for _, want := range []string{"-a listen", "-l forward-to", "__fish_seen_subcommand_from jobs; and __fish_seen_subcommand_from export", "-a 'auto jsonl json csv xlsx'"} {
		if !strings.Contains(fish, want) {
			t.Errorf("fish script lacks %q", want)
		}
	}
	if zsh := script("zsh"); !strings.HasPrefix(zsh, "#compdef trawl") || !strings.Contains(zsh, "bashcompinit") {
		t.Errorf("zsh script starts %q", zsh[:min(len(zsh), 60)])
	}

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	tests := []struct {
		words string // the command line, the last word being completed
		want  []string
	}{
		{"trawl jo", []string{"jobs"}},
		{"trawl jobs ", []string{"list", "get", "wait", "stop", "results", "export", "--help"}},
		{"trawl jobs export 4 --format ", []string{"auto", "jsonl", "json", "csv", "xlsx"}},
		{"trawl listen --f", []string{"--forward-to"}},
		{"trawl --log-level w", []string{"warn"}},
		{"trawl completion ", []string{"--help", "--log-level", "--log-format", "bash", "zsh", "fish"}},
	}
	for _, tt := range tests {
		words := strings.Split(tt.words, " ")
		prog := script("bash") + "\nCOMP_WORDS=(" + quoteWords(words) + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) +
			"\n_trawl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		got := strings.Fields(string(out))
		for _, w := range tt.want {
			if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
				t.Errorf("%q completes to %v, want %q among them", tt.words, got, w)
			}
		}
	}
}

func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "'"
	}
	return strings.Join(q, " ")
}
