package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/trawlhq/trawl/engine"
	"github.com/trawlhq/trawl/secret"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/postgres"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store/sqlite"
)

// database is what trawl needs of its database, SQLite or PostgreSQL.
type database interface {
	store.Store
	engine.Database
	// JobCounts counts jobs by status, for the metrics.
	JobCounts(ctx context.Context) (map[string]int64, error)
	// TasksInFlight counts an account's tasks queued or running.
	TasksInFlight(ctx context.Context, accountID int64) (int64, error)
	// WriterStats reports the writer's waits and connections, for the
	// metrics (store/sqlite and store/postgres stats.go).
	WriterStats() sql.DBStats
	// Path names the database for logs, without credentials.
	Path() string
	Migrate(ctx context.Context, log *slog.Logger) error
	// UseSecrets and Reseal keep stored secrets encrypted (see secrets.go).
	UseSecrets(box *secret.Box)
	Reseal(ctx context.Context, box *secret.Box) (int, error)
}

// openDB opens and migrates the database the flags name: PostgreSQL when a
// URL is given, else the SQLite file in the data folder.
func openDB(ctx context.Context, f dbFlags, log *slog.Logger) (database, error) {
	var db database
	var err error
	if f.DatabaseURL != "" {
		if !strings.HasPrefix(f.DatabaseURL, "postgres://") && !strings.HasPrefix(f.DatabaseURL, "postgresql://") {
			return nil, errors.New("--database-url (TRAWL_DATABASE_URL) must be a postgres:// URL")
		}
		db, err = postgres.Open(ctx, f.DatabaseURL, nil)
	} else {
		db, err = sqlite.Open(f.DataDir, nil)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := useSecrets(ctx, db, f, log); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

type migrateCmd struct {
	dbFlags
}

func (c *migrateCmd) Run(e *env) error {
	db, err := openDB(e.ctx, c.dbFlags, e.log)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = fmt.Fprintln(e.stdout, "database is up to date:", db.Path())
	return err
}

type keysCmd struct {
	Create keysCreateCmd `cmd:"" help:"Create an API key (and, with --account-name, a new account for it)."`
	List   keysListCmd   `cmd:"" help:"List API keys (prefixes only: keys are stored hashed)."`
	Revoke keysRevokeCmd `cmd:"" help:"Revoke an API key by id or prefix."`
}

type keysCreateCmd struct {
	dbFlags
	AccountName string `name:"account-name" help:"Create a new account with this name for the key; default: the first account."`
}

func (c *keysCreateCmd) Run(e *env) error {
	db, err := openDB(e.ctx, c.dbFlags, e.log)
	if err != nil {
		return err
	}
	defer db.Close()
	var account *trawl.Account
	if c.AccountName != "" {
		if account, err = db.CreateAccount(e.ctx, c.AccountName); err != nil {
			return err
		}
	} else if account, err = defaultAccount(e.ctx, db); err != nil {
		return err
	}
	key := trawl.NewAPIKey()
	if _, err := db.CreateAPIKey(e.ctx, account.ID, key); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "API key for account %d (%s): %s\nWebhook signing secret: %s\nStore the key now: trawl keeps only its hash.\n",
		account.ID, account.Name, key, account.WebhookSecret)
	return err
}

type keysListCmd struct {
	dbFlags
}

func (c *keysListCmd) Run(e *env) error {
	db, err := openDB(e.ctx, c.dbFlags, e.log)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := db.APIKeys(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%-6s %-8s %-14s %-25s %s\n", "ID", "ACCOUNT", "PREFIX", "CREATED", "REVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(e.stdout, "%-6d %-8d %-14s %-25s %s\n", k.ID, k.AccountID, k.Prefix+"…", k.CreatedAt.Format("2006-01-02T15:04:05Z"), revoked)
	}
	return nil
}

type keysRevokeCmd struct {
	dbFlags
	Key string `arg:"" help:"The key's id or prefix, as keys list shows them."`
}

func (c *keysRevokeCmd) Run(e *env) error {
	db, err := openDB(e.ctx, c.dbFlags, e.log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RevokeAPIKey(e.ctx, c.Key); err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, "revoked", c.Key)
	return err
}

// defaultAccount returns the first account, creating it when there is none.
func defaultAccount(ctx context.Context, db store.Store) (*trawl.Account, error) {
	accounts, err := db.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	if len(accounts) > 0 {
		return accounts[0], nil
	}
	return db.CreateAccount(ctx, "default")
}

// ensureKey makes sure the API key from TRAWL_API_KEY exists, or, when none is
// set and no key exists at all, creates one and prints it once.
func ensureKey(ctx context.Context, db store.Store, key string, e *env) error {
	if key != "" {
		ok, err := db.APIKeyExists(ctx, key)
		if err != nil || ok {
			return err
		}
		account, err := defaultAccount(ctx, db)
		if err != nil {
			return err
		}
		_, err = db.CreateAPIKey(ctx, account.ID, key)
		return err
	}
	keys, err := db.APIKeys(ctx)
	if err != nil || len(keys) > 0 {
		return err
	}
	account, err := defaultAccount(ctx, db)
	if err != nil {
		return err
	}
	key = trawl.NewAPIKey()
	if _, err := db.CreateAPIKey(ctx, account.ID, key); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "Created API key %s\nIt is shown only this once: trawl keeps only its hash. Send it as the x-api-key header.\n", key)
	return err
}
