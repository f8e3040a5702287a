package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/trawlhq/trawl/client"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// cli is trawl's command line. Every flag has a TRAWL_* environment twin.
type cli struct {
	LogLevel  string `name:"log-level" env:"TRAWL_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level (${enum})."`
	LogFormat string `name:"log-format" env:"TRAWL_LOG_FORMAT" default:"text" enum:"text,json" help:"Log format (${enum})."`

	Serve   serveCmd   `cmd:"" help:"Run the HTTP API and the workers."`
	Migrate migrateCmd `cmd:"" help:"Apply database migrations and exit."`
	Keys    keysCmd    `cmd:"" help:"Manage API keys."`
	Quota   quotaCmd   `cmd:"" help:"Show or set an account's credit quota (past it, jobs and /scrape/web calls are 403)."`
	Secrets secretsCmd `cmd:"" help:"Manage the key that encrypts stored secrets."`
	Version versionCmd `cmd:"" help:"Print the version."`

	// Client commands: they call a trawl server over its public HTTP API.
	Login      loginCmd      `cmd:"" group:"client" help:"Save a server and API key for the client commands."`
	Scrapers   scrapersCmd   `cmd:"" group:"client" help:"List the scrapers and their parameters."`
	RunJob     runJobCmd     `cmd:"" name:"run" group:"client" help:"Run a job and write its rows when it ends."`
	Jobs       jobsCmd       `cmd:"" group:"client" help:"List, follow, stop and download jobs."`
	Listen     listenCmd     `cmd:"" group:"client" help:"Forward the account's webhook events to a local URL, signed."`
	Completion completionCmd `cmd:"" group:"client" help:"Print a shell completion script (bash, zsh, fish)."`
}

// dbFlags choose the database.
type dbFlags struct {
	DataDir     string `name:"data-dir" env:"TRAWL_DATA_DIR" default:"./trawl-data" help:"Folder of the embedded SQLite database."`
	DatabaseURL string `name:"database-url" env:"TRAWL_DATABASE_URL" help:"PostgreSQL URL, instead of the embedded SQLite database."`
	SecretKey   string `name:"secret-key" env:"TRAWL_SECRET_KEY" help:"Key (32+ characters) that encrypts stored secrets. Unset: a key file in the data folder, created on first start. Nodes sharing a database must share it."`
}

// env gives commands what run was given.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader // the client commands read bodies, keys and answers here
	log    *slog.Logger
}

// run parses args and runs the chosen command. It is main without the
// process: tests call it with their own arguments, environment and writers.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c cli
	exitCode := -1
	parser, err := kong.New(&c,
		kong.Name("trawl"),
		kong.Description("trawl: a self-hosted Scraper Jobs API with reliable webhooks."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.Resolvers(envResolver(getenv)),
		kong.Vars{"version": version, "defaultURL": client.DefaultURL},
		kong.ExplicitGroups([]kong.Group{{Key: "client", Title: "Client commands (talk to a trawl server; see 'trawl login'):"}}),
		kong.UsageOnError(),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 {
		// --help or a usage error already printed what it had to say.
		if exitCode == 0 {
			return nil
		}
		return errors.New("invalid arguments")
	}
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogLevel, c.LogFormat)
	if err != nil {
		return err
	}
	return kctx.Run(&env{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr, stdin: os.Stdin, log: log})
}

// envResolver reads each flag's TRAWL_* variable through getenv, so that run
// never reads the process environment behind its caller's back.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		for _, name := range flag.Envs {
			if v := getenv(name); v != "" {
				return v, nil
			}
		}
		return nil, nil
	})
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	_, err := fmt.Fprintln(e.stdout, "trawl", version)
	return err
}
