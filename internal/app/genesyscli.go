package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/source/genesys/genesystest"
	"github.com/callimport/callimport/internal/store"
)

const genesysUsage = `Usage:
  callimport genesys simulate [--addr 127.0.0.1:8765] [--seed N] [--conversations N]
  callimport genesys preview --campaign ID|NAME [--org ORG] --from TIME --to TIME [--json]

simulate  runs a Genesys Cloud simulator (login and API on one address) for
          demos and tests; it prints the base URL and client credentials.
preview   counts what the campaign's export rule would select over the
          period (RFC 3339 times or dates), per queue and agent, kept by
          sampling and quotas, downloading nothing. It reads the same
          storage flags and CALLIMPORT_SECRET_KEY as serve.
`

// runGenesys runs `callimport genesys ...`.
func runGenesys(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || (args[0] != "simulate" && args[0] != "preview") {
		_, _ = fmt.Fprint(io.Stderr, genesysUsage)
		return fmt.Errorf("%w: genesys needs a verb (simulate, preview)", ErrUsage)
	}
	if args[0] == "preview" {
		return runGenesysPreview(ctx, args[1:], io)
	}
	fs := flag.NewFlagSet("genesys simulate", flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	addr := fs.String("addr", "127.0.0.1:8765", "listen address")
	seed := fs.Int64("seed", 1, "seed of the simulated organisation")
	convs := fs.Int("conversations", 300, "conversations to seed")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErr(err)
	}
	return genesysSimulate(ctx, *addr, genesystest.Config{Seed: *seed, Conversations: *convs}, io.Stdout)
}

// parseCLITime reads an RFC 3339 time or a date (midnight UTC).
func parseCLITime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: --%s %q: want an RFC 3339 time or a date (2026-05-01)", ErrUsage, name, v)
}

func runGenesysPreview(ctx context.Context, args []string, io IO) error {
	fs := flag.NewFlagSet("genesys preview", flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	var cfg config.Serve
	f := &config.Flags{FS: fs, Getenv: io.Getenv}
	config.BindStorage(f, &cfg.Storage)
	config.BindConnectors(f, &cfg.Connectors)
	config.BindGenesys(f, &cfg.Genesys)
	config.BindSFTPPull(f, &cfg.SFTPPull)
	campaign := fs.String("campaign", "", "campaign id or name")
	org := fs.String("org", "", "organisation id or name (needed for a campaign name used by several)")
	from := fs.String("from", "", "start of the period (RFC 3339 or date)")
	to := fs.String("to", "", "end of the period (RFC 3339 or date)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if *campaign == "" || *from == "" || *to == "" {
		return fmt.Errorf("%w: --campaign, --from and --to are required", ErrUsage)
	}
	t0, err := parseCLITime("from", *from)
	if err != nil {
		return err
	}
	t1, err := parseCLITime("to", *to)
	if err != nil {
		return err
	}
	if err := cfg.Resolve(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	st, err := openStore(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	defer st.Close()
	orgID, campID, err := findCampaign(ctx, st, *org, *campaign)
	if err != nil {
		return err
	}
	m, err := wireConnectors(ctx, &Server{cfg: cfg, Store: st}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return genesysPreview(ctx, m, orgID, campID, t0, t1, *asJSON, io.Stdout)
}

// findCampaign finds a campaign by id or name, in org when given (id or
// name), else in any organisation (a name must then be unambiguous).
func findCampaign(ctx context.Context, st store.Store, orgRef, ref string) (orgID, campaignID string, err error) {
	var orgs []call.Org
	if orgRef != "" {
		o, err := findOrg(ctx, st, orgRef)
		if err != nil {
			return "", "", err
		}
		orgs = []call.Org{o}
	} else if orgs, err = st.OrgList(ctx); err != nil {
		return "", "", fmt.Errorf("list organisations: %w", err)
	}
	var found [][2]string
	for _, o := range orgs {
		cs, err := st.CampaignList(ctx, o.ID)
		if err != nil {
			return "", "", fmt.Errorf("list campaigns: %w", err)
		}
		for _, c := range cs {
			if c.ID == ref {
				return o.ID, c.ID, nil
			}
			if c.Name == ref {
				found = append(found, [2]string{o.ID, c.ID})
			}
		}
	}
	switch len(found) {
	case 0:
		return "", "", errors.New("no campaign with id or name " + fmt.Sprintf("%q", ref))
	case 1:
		return found[0][0], found[0][1], nil
	}
	return "", "", fmt.Errorf("%w: several organisations have a campaign named %q: add --org", ErrUsage, ref)
}
