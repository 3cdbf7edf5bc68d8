package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/sealing"
)

const rotateUsage = `Usage: callimport admin rotate-secret-key [--old-key-file F ...] [--new-key-file F] [storage flags]

Re-encrypts every stored connector secret (SFTP pull passwords and keys,
Genesys client secrets) under the new key, in one transaction. The new key
is --new-key-file or CALLIMPORT_SECRET_KEY; the old keys are --old-key-file
(repeatable), else CALLIMPORT_SECRET_KEY_PREVIOUS and the deprecated
per-channel keys, else the data dir's generated secret.key (which is then
replaced by the new key). Roll out with CALLIMPORT_SECRET_KEY=new and
CALLIMPORT_SECRET_KEY_PREVIOUS=old on every serve process, rotate, then
drop CALLIMPORT_SECRET_KEY_PREVIOUS.
`

// readKeyFile reads a base64 key from a file.
func readKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: key file: %w", ErrUsage, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// runRotateSecretKey runs `callimport admin rotate-secret-key`.
func runRotateSecretKey(ctx context.Context, args []string, io IO) error {
	fs := flag.NewFlagSet("admin rotate-secret-key", flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	fs.Usage = func() { fmt.Fprint(io.Stderr, rotateUsage); fs.PrintDefaults() }
	var cfg config.Serve
	f := &config.Flags{FS: fs, Getenv: io.Getenv}
	config.BindStorage(f, &cfg.Storage)
	config.BindConnectors(f, &cfg.Connectors)
	config.BindGenesys(f, &cfg.Genesys)
	config.BindSFTPPull(f, &cfg.SFTPPull)
	var oldFiles stringList
	fs.Var(&oldFiles, "old-key-file", "file holding a key the secrets are sealed under now (repeatable)")
	newFile := fs.String("new-key-file", "", "file holding the new key (default: CALLIMPORT_SECRET_KEY)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := cfg.Resolve(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	newKey := strings.TrimSpace(cfg.Connectors.SecretKey)
	if *newFile != "" {
		var err error
		if newKey, err = readKeyFile(*newFile); err != nil {
			return err
		}
	}
	if newKey == "" {
		return fmt.Errorf("%w: the new key is required: --new-key-file F or CALLIMPORT_SECRET_KEY", ErrUsage)
	}
	var old []string
	for _, p := range oldFiles {
		k, err := readKeyFile(p)
		if err != nil {
			return err
		}
		old = append(old, k)
	}
	dataKey := filepath.Join(cfg.DataDir, secretKeyFile)
	usedDataKey := false
	if len(old) == 0 {
		c := cfg
		c.Connectors.SecretKey = ""
		primary, previous := connectorKeys(c, discardLogger())
		old = previous
		if primary != "" {
			old = append(old, primary)
		}
		if primary == "" {
			b, err := os.ReadFile(dataKey)
			if err != nil && !errors.Is(err, iofs.ErrNotExist) {
				return fmt.Errorf("read %s: %w", dataKey, err)
			}
			if k := strings.TrimSpace(string(b)); k != "" {
				old, usedDataKey = append(old, k), true
			}
		}
	}
	kr, err := sealing.New(newKey, old...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	st, err := openStore(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	defer st.Close()
	rot, err := connectors.RotateSecrets(ctx, st, kr)
	if err != nil {
		return err //nolint:wrapcheck // says what failed
	}
	if usedDataKey {
		if err := writeKeyFile(dataKey, newKey); err != nil {
			return fmt.Errorf("the secrets are sealed under the new key, but %s still holds the old one: put the new key there: %w", dataKey, err)
		}
	}
	if *asJSON {
		return (&adminCmd{json: true}).print(io, rot)
	}
	fmt.Fprintf(io.Stdout, "re-encrypted %d of %d connector secrets under key %s (%d were already)\n",
		rot.Resealed, rot.Total, rot.KeyID, rot.Current)
	if usedDataKey {
		fmt.Fprintf(io.Stdout, "%s now holds the new key: restart serve so that it reads it\n", dataKey)
	} else {
		fmt.Fprintln(io.Stdout, "serve needs only the new key now: set CALLIMPORT_SECRET_KEY to it and drop CALLIMPORT_SECRET_KEY_PREVIOUS")
	}
	return nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
