package app

import (
	"context"
	"flag"
	"fmt"

	"github.com/callimport/callimport/internal/source/genesys/genesystest"
)

const genesysUsage = `Usage: callimport genesys simulate [--addr 127.0.0.1:8765] [--seed N] [--conversations N]

simulate  runs a Genesys Cloud simulator (login and API on one address) for
          demos and tests; it prints the base URL and client credentials.
`

// runGenesys runs `callimport genesys ...`.
func runGenesys(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || args[0] != "simulate" {
		_, _ = fmt.Fprint(io.Stderr, genesysUsage)
		return fmt.Errorf("%w: genesys needs a verb (simulate)", ErrUsage)
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
