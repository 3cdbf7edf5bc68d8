package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/callimport/callimport/internal/audio"
	"github.com/callimport/callimport/internal/audit"
	"github.com/callimport/callimport/internal/auth"
	"github.com/callimport/callimport/internal/blob"
	"github.com/callimport/callimport/internal/call"
	"github.com/callimport/callimport/internal/config"
	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/httpapi"
	"github.com/callimport/callimport/internal/httpapi/tusupload"
	"github.com/callimport/callimport/internal/ingest"
	"github.com/callimport/callimport/internal/jobs"
	"github.com/callimport/callimport/internal/privacy"
	"github.com/callimport/callimport/internal/store"
	"github.com/callimport/callimport/internal/telemetry"
)

// Server is a running callimport: stores, queue and HTTP server.
type Server struct {
	cfg     config.Serve
	log     *slog.Logger
	Store   store.Store
	Bucket  *blob.Bucket
	Queue   *jobs.Queue
	Ingest  *ingest.Service
	Auth    *auth.Service
	Metrics *telemetry.Metrics
	Handler http.Handler
	Uploads *tusupload.Handler
	Privacy *privacy.Service
	// Connectors manages the import channels (SFTP accounts, pull sources, Genesys).
	Connectors *connectors.Manager
	Audit      *audit.Trail
	unlock     func() error
}

// NewServer builds every component of `serve` from cfg (already validated).
// Close releases what it opened.
func NewServer(ctx context.Context, cfg config.Serve, log *slog.Logger) (*Server, error) {
	sqlite := strings.HasPrefix(cfg.Database, "sqlite:")
	unlock := func() error { return nil }
	if sqlite {
		var err error
		if unlock, err = lockSQLite(cfg.Database); err != nil {
			return nil, err
		}
	}
	st, err := openStore(ctx, cfg.Storage)
	if err != nil {
		return nil, errors.Join(err, unlock())
	}
	bucket, err := openBucket(ctx, cfg.Storage)
	if err != nil {
		return nil, errors.Join(err, st.Close(), unlock())
	}
	s := &Server{cfg: cfg, log: log, Store: st, Bucket: bucket, Metrics: telemetry.NewMetrics(), unlock: unlock}
	if s.Audit, err = wireAudit(ctx, st, log); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	proc := ingest.NewProcessor(st, bucket, audio.New(audio.Config{}), log)
	proc.Observe = s.observeFinal
	cleaner := ingest.NewOrphanCleaner(st, bucket, cfg.OrphanAge, log)
	if s.Privacy, err = wirePrivacy(s, cfg.Privacy, log); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.Queue, err = jobs.New(ctx, st.DB(), st.Dialect(), jobs.Config{Logger: log, Workers: cfg.Workers, OrphanInterval: cfg.OrphanInterval,
		JobTimeout: cfg.JobTimeout, SoleWorker: sqlite, RetentionInterval: cfg.Privacy.RetentionInterval},
		jobs.Handlers{Calls: proc, Orphans: cleaner, Privacy: s.Privacy})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("job queue: %w", err), s.Close())
	}
	s.Privacy.SetEnqueuer(s.Queue)
	s.Metrics.Registry.MustRegister(newQueueCollector(ctx, s.Queue))
	admit, rate := newLimits(cfg.Limits)
	s.Ingest = ingest.New(st, bucket, s.Queue, ingest.Config{MaxFileSize: cfg.MaxUploadSize, Logger: log,
		Observe: s.observeIngest, Admission: admit, Audit: s.auditRecorder()})
	s.Auth = auth.New(st, auth.Config{TokenTTL: cfg.TokenTTL})
	s.Uploads, err = tusupload.New(tusupload.Config{Ingest: s.Ingest, Campaigns: st,
		Dir: filepath.Join(cfg.DataDir, "uploads"), Logger: log})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("resumable uploads: %w", err), s.Close())
	}
	s.Privacy.AddStaging(s.Uploads)
	if s.Connectors, err = wireConnectors(ctx, s, log); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	web, err := webHandler(ctx, s, cfg.Web, log)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.Handler = httpapi.New(httpapi.Config{
		Store: st, Ingest: s.Ingest, Auth: s.Auth, Bucket: bucket, Logger: log, Metrics: s.Metrics,
		Uploads: s.Uploads, Ready: s.ready, RateLimit: rate, Erasures: s.Privacy, Connectors: s.Connectors,
		Audit: s.auditRecorder(), SessionAuth: web.SessionPrincipal,
	})
	s.Handler = withWeb(s.Handler, web)
	return s, nil
}

func (s *Server) observeFinal(c call.Call) {
	outcome := "imported"
	if c.Status == call.StatusRejected {
		outcome = "rejected"
	}
	s.Metrics.Calls.WithLabelValues(string(c.Source), outcome).Inc()
	s.Metrics.ProcessTime.Observe(time.Since(c.CreatedAt).Seconds())
}

func (s *Server) observeIngest(source call.Source, outcome string, bytes int64, took time.Duration) {
	s.Metrics.Calls.WithLabelValues(string(source), outcome).Inc()
	if outcome == "received" {
		s.Metrics.Bytes.WithLabelValues(string(source)).Add(float64(bytes))
	}
	s.Metrics.IngestTime.WithLabelValues(string(source)).Observe(took.Seconds())
}

// ready checks the database and the blob store.
func (s *Server) ready(ctx context.Context) error {
	if err := s.Store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := s.Bucket.Ping(ctx); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// Close releases the stores.
func (s *Server) Close() error {
	var errs []error
	errs = append(errs, s.closeAudit())
	if s.Uploads != nil {
		errs = append(errs, s.Uploads.Close())
	}
	if s.Bucket != nil {
		errs = append(errs, s.Bucket.Close())
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	if s.unlock != nil {
		errs = append(errs, s.unlock())
	}
	return errors.Join(errs...)
}

// Run serves HTTP on ln and runs the job queue until ctx ends, then shuts
// down gracefully within the configured timeout.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load tls certificate: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	if err := s.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	sftpRun, sftpAddr, err := wireSFTP(ctx, s, s.cfg.SFTP, s.log)
	if err != nil {
		return err
	}
	if sftpRun != nil {
		s.log.Info("sftp server listening", "addr", sftpAddr.String())
		g.Go(func() error { return sftpRun(gctx) })
	}
	for _, run := range connectorRuns(s) {
		g.Go(func() error { return run(gctx) })
	}
	g.Go(func() error {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http: %w", err)
		}
		return nil
	})
	g.Go(func() error { return s.Uploads.Run(gctx) })
	g.Go(func() error {
		<-gctx.Done()
		s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), s.cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(hs.Shutdown(sctx), s.Queue.Stop(sctx))
	})
	return g.Wait()
}

// printBanner writes, on first start, what the bootstrap created, then the
// address (always the last line, so scripts can wait for it).
func printBanner(w io.Writer, cfg config.Serve, addr string, boot *Bootstrap) {
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	if boot != nil {
		fmt.Fprintf(w, `First start: created
  organisation  %s (%s)
  admin user    %s   (sign in at %s://%s/login)
  password      %s
  campaign      %s (%s)
  API key       %s   (shown once; store it now)

Try it:
  curl -X POST %s://%s/calls/audio -H "x-api-key: %s" \
    -F 'file=@recording.wav' -F 'campaign_id=%s'

`, boot.Org.Name, boot.Org.ID, boot.AdminEmail, scheme, addr, boot.PasswordNote, boot.Campaign.Name, boot.Campaign.ID,
			boot.APIKey, scheme, addr, boot.APIKey, boot.Campaign.ID)
	}
	fmt.Fprintf(w, "callimport is listening on %s://%s (data in %s)\n", scheme, addr, cfg.DataDir)
}
