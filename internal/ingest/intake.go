package ingest

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/callimport/callimport/internal/store"
)

// pendingIntake is the intake row of a blob being written, recorded in the
// background (see Service.write).
type pendingIntake struct {
	ch   chan error
	done bool
	err  error
}

// recordIntake starts recording key's intake. The write is not cut when
// the sender goes away: a write canceled half-way could be committed
// without our knowing, and leave its row behind.
func (s *Service) recordIntake(ctx context.Context, key string) *pendingIntake {
	p := &pendingIntake{ch: make(chan error, 1)}
	go func() {
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		p.ch <- s.store.IntakeCreate(ictx, store.IntakeCreateParams{BlobKey: key, CreatedAt: s.cfg.Now()})
	}()
	return p
}

// wait returns the outcome of the record.
func (p *pendingIntake) wait() error {
	if !p.done {
		p.err, p.done = <-p.ch, true
	}
	return p.err
}

// failed reports, without waiting, whether the record has failed.
func (p *pendingIntake) failed() bool {
	if !p.done {
		select {
		case p.err = <-p.ch:
			p.done = true
		default:
		}
	}
	return p.err != nil
}

// guard returns r, cut short as soon as the record fails: a database that
// cannot be reached refuses the upload without reading the rest of it.
func (p *pendingIntake) guard(r io.Reader) io.Reader { return &intakeGuard{r: r, p: p} }

type intakeGuard struct {
	r io.Reader
	p *pendingIntake
}

// errIntakeFailed stops the copy; write reports the record's own error.
var errIntakeFailed = errors.New("the intake could not be recorded")

func (g *intakeGuard) Read(b []byte) (int, error) {
	if g.p.failed() {
		return 0, errIntakeFailed
	}
	return g.r.Read(b)
}
