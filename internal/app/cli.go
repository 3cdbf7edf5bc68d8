package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strings"

	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/telemetry"
)

// IO is where a command reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// ErrUsage marks a command-line mistake (exit code 2).
var ErrUsage = errors.New("usage")

const usage = `callimport brings call recordings into campaigns.

Usage:
  callimport serve [flags]            run the HTTP API (and background work)
  callimport admin <object> <verb>    manage organisations, users, campaigns, keys
  callimport genesys simulate|preview run a Genesys Cloud simulator; preview an export rule
  callimport audit verify|export      check the audit chains, export audit events
  callimport version

Run 'callimport <command> -h' for the flags of a command.
`

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, io IO) int {
	if io.Getenv == nil {
		io.Getenv = os.Getenv
	}
	err := run(ctx, args, io)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(io.Stderr, err)
		return 2
	default:
		fmt.Fprintln(io.Stderr, "callimport:", err)
		return 1
	}
}

func run(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 {
		fmt.Fprint(io.Stderr, usage)
		return fmt.Errorf("%w: a command is required", ErrUsage)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], io)
	case "admin":
		return runAdmin(ctx, args[1:], io)
	case "genesys":
		return runGenesys(ctx, args[1:], io)
	case "audit":
		return runAudit(ctx, args[1:], io)
	case "version":
		fmt.Fprintln(io.Stdout, "callimport", version())
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(io.Stdout, usage)
		return nil
	default:
		fmt.Fprint(io.Stderr, usage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
	}
}

// version names the build from the module and VCS information Go records.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

func runServe(ctx context.Context, args []string, io IO) error {
	var cfg config.Serve
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	f := &config.Flags{FS: fs, Getenv: io.Getenv}
	config.BindServe(f, &cfg)
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if err := f.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	log := telemetry.NewLogger(io.Stderr, cfg.LogLevel)
	log.Info("starting", "config", fmt.Sprintf("%+v", cfg.Redacted()))
	srv, err := NewServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			log.Warn("close", "error", err)
		}
	}()
	boot, err := bootstrap(ctx, srv.Store, srv.Auth, cfg.AdminPassword)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	printBanner(io.Stdout, cfg, ln.Addr().String(), boot)
	return srv.Run(ctx, ln)
}

func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUsage, err)
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
