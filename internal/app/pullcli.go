package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
)

const pullSourceUsage = `Usage:
  callimport admin pull-source create --campaign ID|NAME [--org ORG] --host H [--port 22] --username U
      [--password-stdin] [--private-key-file F] --fingerprint SHA256:... [--folder D] [--pattern P]
      [--recursive] [--interval 5m] [--min-age 1m] [--after keep|delete|move:D] [--json]
  callimport admin pull-source list [--org ORG] [--campaign ID|NAME] [--json]

Secrets are sealed with CALLIMPORT_SECRET_KEY (or the data dir's key), as by serve.
`

// runPullSourceAdmin runs `callimport admin pull-source create|list`.
func runPullSourceAdmin(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		fmt.Fprint(io.Stderr, pullSourceUsage)
		return fmt.Errorf("%w: pull-source needs a verb (create, list)", ErrUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("admin pull-source "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	var cfg config.Serve
	f := &config.Flags{FS: fs, Getenv: io.Getenv}
	config.BindStorage(f, &cfg.Storage)
	config.BindConnectors(f, &cfg.Connectors)
	config.BindGenesys(f, &cfg.Genesys)
	config.BindSFTPPull(f, &cfg.SFTPPull)
	org := fs.String("org", "", "organisation id or name")
	campaign := fs.String("campaign", "", "campaign id or name")
	var in connectors.PullSourceInput
	host, user, fp := fs.String("host", "", "SFTP server host"), fs.String("username", "", "SFTP user"), fs.String("fingerprint", "", "host key fingerprint SHA256:...")
	port := fs.Int("port", 22, "SFTP server port")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	keyFile := fs.String("private-key-file", "", "file holding an unencrypted private key")
	folder, pattern := fs.String("folder", ".", "remote folder"), fs.String("pattern", "", "file name pattern, e.g. *.wav")
	recursive := fs.Bool("recursive", false, "also list subfolders")
	interval := fs.Duration("interval", 0, "time between runs (default 5m)")
	minAge := fs.Duration("min-age", 0, "files modified more recently wait (default 1m)")
	after := fs.String("after", "keep", "after import: keep, delete or move:<folder>")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErr(err)
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := cfg.Resolve(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	st, err := openStore(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := wireConnectors(ctx, &Server{cfg: cfg, Store: st}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	var orgID, campID string
	switch {
	case *campaign != "":
		if orgID, campID, err = findCampaign(ctx, st, *org, *campaign); err != nil {
			return err
		}
	case verb == "create":
		return fmt.Errorf("%w: --campaign is required", ErrUsage)
	case *org == "":
		return fmt.Errorf("%w: --org or --campaign is required", ErrUsage)
	default:
		o, err := findOrg(ctx, st, *org)
		if err != nil {
			return err
		}
		orgID = o.ID
	}
	var out any
	if verb == "list" {
		if out, err = m.ListPullSources(ctx, orgID, campID); err != nil {
			return err //nolint:wrapcheck // says what failed
		}
	} else {
		in.Host, in.Username, in.HostKeyFingerprint, in.Port = host, user, fp, port
		in.Folder, in.Pattern, in.Recursive, in.AfterAction = folder, pattern, recursive, after
		if *interval > 0 {
			in.IntervalSeconds = new(int(interval.Seconds()))
		}
		if *minAge > 0 {
			in.MinAgeSeconds = new(int(minAge.Seconds()))
		}
		if *pwStdin {
			line, err := bufio.NewReader(io.Stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("%w: no password on standard input", ErrUsage)
			}
			in.Password = new(strings.TrimRight(line, "\r\n"))
		}
		if *keyFile != "" {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return fmt.Errorf("%w: --private-key-file: %w", ErrUsage, err)
			}
			in.PrivateKey = new(string(b))
		}
		if out, err = m.CreatePullSource(ctx, orgID, campID, in); err != nil {
			return err //nolint:wrapcheck // the field errors say what to fix
		}
	}
	if *asJSON {
		return (&adminCmd{json: true}).print(io, out)
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	list, ok := out.([]connectors.PullSource)
	if !ok {
		list = []connectors.PullSource{out.(connectors.PullSource)}
	}
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s@%s:%d\t%s\tcampaign %s\tenabled %v\tquiet %v\n", p.ID, p.Username, p.Host, p.Port, p.Folder,
			p.CampaignID, p.Enabled, p.Quiet)
	}
	return tw.Flush()
}
