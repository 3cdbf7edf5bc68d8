package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	// s3PartSize is the part size of S3 multipart uploads (S3's minimum is
	// 5 MiB), and the size from which an upload is multipart.
	s3PartSize = 8 << 20
	// s3Concurrency is the number of parts uploaded at once by one writer.
	s3Concurrency = 2
	// cleanupTimeout bounds the clean-up of a failed S3 upload.
	cleanupTimeout = 30 * time.Second
	// abortGrace is how long an aborted or canceled upload may take to
	// abort cleanly before its requests are cut.
	abortGrace = 30 * time.Second
)

// errAborted fails the upload of an aborted Writer.
var errAborted = errors.New("write aborted")

// Writer streams one object into the bucket. Nothing is visible under the key
// until Close returns nil; after Abort, a failed Close or cancellation of the
// context given to NewWriter, nothing is left behind (on S3, see the package
// documentation for crashes).
//
// A Writer is not safe for concurrent use. The usual pattern is:
//
//	w, err := b.NewWriter(ctx, key)
//	if err != nil { … }
//	defer w.Abort() // no-op after a successful Close
//	if _, err := io.Copy(w, body); err != nil { return err }
//	return w.Close()
type Writer struct {
	key  string
	impl writerImpl
	n    int64
	done bool
}

type writerImpl interface {
	Write(p []byte) (int, error)
	commit() error
	abort() error
}

// NewWriter starts writing key, replacing any object already there when Close
// succeeds. It returns an error wrapping ErrInvalidKey for a bad key. The
// caller must end the Writer with Close or Abort (an S3 writer holds a
// goroutine and buffers until then).
func (b *Bucket) NewWriter(ctx context.Context, key string) (*Writer, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("write blob: %w", err)
	}
	if b.file != nil {
		fw, err := b.file.newWriter(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("write blob %s: %w", key, err)
		}
		return &Writer{key: key, impl: fw}, nil
	}
	return &Writer{key: key, impl: b.newS3Writer(ctx, key)}, nil
}

// Write appends p to the object. An error means the write failed; the caller
// should Abort.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write blob %s: %w", w.key, ErrClosed)
	}
	n, err := w.impl.Write(p)
	w.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("write blob %s: %w", w.key, err)
	}
	return n, nil
}

// Written returns the number of bytes accepted by Write so far.
func (w *Writer) Written() int64 { return w.n }

// Close completes the object: when it returns nil the object is durable and
// visible under its key, atomically. When it returns an error nothing was
// stored. Close after Close or Abort returns ErrClosed.
func (w *Writer) Close() error {
	if w.done {
		return fmt.Errorf("close blob %s: %w", w.key, ErrClosed)
	}
	w.done = true
	if err := w.impl.commit(); err != nil {
		return wrapErr("close blob", w.key, err)
	}
	return nil
}

// Abort discards the partial object. It is a no-op after Close or Abort, so
// it can be deferred right after NewWriter.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := w.impl.abort(); err != nil {
		return fmt.Errorf("abort blob %s: %w", w.key, err)
	}
	return nil
}

// s3Writer streams through a pipe into the SDK's transfer manager, which
// sends a single PUT below s3PartSize and a multipart upload above it.
//
// The upload runs under a context that the caller's cancellation does not
// cut: cancellation (or Abort) fails the pipe instead, so the SDK aborts
// the multipart upload cleanly; cutting its requests mid-flight could leave
// an upload that the server creates after we looked for it. Requests are
// cut only if the clean abort takes longer than abortGrace.
type s3Writer struct {
	b      *Bucket
	ctx    context.Context // the caller's
	key    string
	pw     *io.PipeWriter
	cancel context.CancelFunc // cuts the upload's requests
	stop   func() bool        // unregisters the caller-cancellation hook
	done   chan struct{}
	err    error // set before done is closed
}

func (b *Bucket) newS3Writer(ctx context.Context, key string) *s3Writer {
	pr, pw := io.Pipe()
	uctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &s3Writer{b: b, ctx: ctx, key: key, pw: pw, cancel: cancel, done: make(chan struct{})}
	w.stop = context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	go func() {
		defer close(w.done)
		_, err := b.tm.UploadObject(uctx, &transfermanager.UploadObjectInput{
			Bucket:      aws.String(b.s3Bucket),
			Key:         aws.String(key),
			Body:        pr,
			ContentType: aws.String("application/octet-stream"),
		})
		if err != nil {
			w.err = err
			pr.CloseWithError(err) // unblocks a Write waiting for the SDK
		}
	}()
	return w
}

func (w *s3Writer) Write(p []byte) (int, error) { return w.pw.Write(p) }

func (w *s3Writer) commit() error {
	if err := w.ctx.Err(); err != nil {
		// Canceled before Close: the hook may not have run yet.
		w.pw.CloseWithError(context.Cause(w.ctx))
	} else {
		_ = w.pw.Close() // end of data: the upload completes
	}
	return w.finish()
}

func (w *s3Writer) abort() error {
	w.pw.CloseWithError(errAborted)
	err := w.finish()
	if errors.Is(err, errAborted) {
		return nil
	}
	return err
}

// finish waits for the upload and returns its error; after a failure it
// removes what the upload may have left on the server.
func (w *s3Writer) finish() error {
	defer w.cancel()
	defer w.stop()
	select {
	case <-w.done:
	case <-w.ctx.Done():
		// The hook has failed the pipe; give the SDK time to abort.
		w.waitGrace()
	}
	if w.err == nil {
		return nil
	}
	if cerr := w.cleanup(); cerr != nil {
		return errors.Join(w.err, cerr)
	}
	return w.err
}

func (w *s3Writer) waitGrace() {
	t := time.NewTimer(abortGrace)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
		w.cancel()
		<-w.done
	}
}

// cleanup aborts multipart uploads still open for the key: the SDK aborts
// its own, but not one whose creation was cut short by the grace timeout.
// Keys are unique per call, so no other writer's upload is affected.
func (w *s3Writer) cleanup() error {
	client := w.b.s3
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), cleanupTimeout)
	defer cancel()
	bucket := aws.String(w.b.s3Bucket)
	out, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket, Prefix: aws.String(w.key)})
	if err != nil {
		return fmt.Errorf("list multipart uploads: %w", err)
	}
	var errs []error
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) != w.key {
			continue
		}
		_, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: u.Key, UploadId: u.UploadId})
		if err != nil {
			errs = append(errs, fmt.Errorf("abort multipart upload: %w", err))
		}
	}
	return errors.Join(errs...)
}
