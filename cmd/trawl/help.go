package main

// The detailed help of the server commands: an example each, shown by
// `trawl <command> --help`. (The client commands keep theirs beside them.)

func (serveCmd) Help() string {
	return `Example:
  trawl serve
  TRAWL_ADDR=0.0.0.0:8080 TRAWL_PUBLIC_URL=https://trawl.example.com trawl serve
  trawl serve --database-url postgres://trawl@db/trawl --role worker`
}

func (migrateCmd) Help() string {
	return `Example:
  trawl migrate --data-dir /var/lib/trawl`
}

func (keysCmd) Help() string {
	return `Example:
  trawl keys create --account-name acme
  trawl keys list
  trawl keys revoke trawl_ab12`
}

func (keysCreateCmd) Help() string {
	return `The key is printed once; it is stored hashed.

Example:
  trawl keys create
  trawl keys create --account-name acme`
}

func (keysListCmd) Help() string {
	return `Example:
  trawl keys list`
}

func (keysRevokeCmd) Help() string {
	return `Example:
  trawl keys revoke trawl_ab12`
}

func (quotaCmd) Help() string {
	return `Example:
  trawl quota 1           # show account 1's usage and quota
  trawl quota 1 50000     # at most 50,000 credits
  trawl quota 1 none      # no quota`
}

func (versionCmd) Help() string {
	return `Example:
  trawl version`
}

func (jobsCmd) Help() string {
	return `Example:
  trawl jobs list --status in_progress
  trawl jobs wait 42 && trawl jobs export 42 --out rows.xlsx`
}

func (secretsCmd) Help() string {
	return `Example:
  trawl secrets rotate-key`
}

func (rotateKeyCmd) Help() string {
	return `Stop every trawl node first.

Example:
  trawl secrets rotate-key --data-dir /var/lib/trawl
  TRAWL_SECRET_KEY=… TRAWL_NEW_SECRET_KEY=… trawl secrets rotate-key --database-url postgres://trawl@db/trawl`
}
