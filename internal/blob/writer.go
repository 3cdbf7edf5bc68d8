package blob

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gcblob "gocloud.dev/blob"
)

const (
	// s3PartSize is the part size of S3 multipart uploads (S3's minimum is 5 MiB).
	s3PartSize = 8 << 20
	// s3Concurrency is the number of parts uploaded at once by one writer.
	s3Concurrency = 2
	// cleanupTimeout bounds the clean-up of an aborted S3 upload.
	cleanupTimeout = 30 * time.Second
)

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
// succeeds. It returns an error wrapping ErrInvalidKey for a bad key.
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
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.b.NewWriter(wctx, key, &gcblob.WriterOptions{
		// Setting the type opens the upload at once instead of buffering
		// 512 bytes to sniff it; we never serve it as-is anyway.
		ContentType:    "application/octet-stream",
		BufferSize:     s3PartSize,
		MaxConcurrency: s3Concurrency,
	})
	if err != nil {
		cancel()
		return nil, wrapErr("write blob", key, err)
	}
	return &Writer{key: key, impl: &s3Writer{b: b, ctx: ctx, key: key, w: w, cancel: cancel}}, nil
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

type s3Writer struct {
	b      *Bucket
	ctx    context.Context // the caller's, kept for clean-up
	key    string
	w      *gcblob.Writer
	cancel context.CancelFunc
}

func (w *s3Writer) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *s3Writer) commit() error {
	defer w.cancel()
	err := w.w.Close()
	if err != nil && w.ctx.Err() != nil {
		// A cancelled multipart upload may be left open on the server.
		err = errors.Join(err, w.cleanup())
	}
	return err
}

// abort cancels the upload; gocloud then fails it instead of completing it.
func (w *s3Writer) abort() error {
	w.cancel()
	_ = w.w.Close() // returns the cancellation
	return w.cleanup()
}

// cleanup aborts multipart uploads left open for the key: the SDK aborts
// them with the (already cancelled) upload context, which fails. Keys are
// unique per call, so no other writer's upload is affected.
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
