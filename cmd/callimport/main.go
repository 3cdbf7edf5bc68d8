// Command callimport brings contact-centre call recordings into campaigns:
// `callimport serve` runs the service, `callimport admin ...` manages it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/callimport/callimport/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
