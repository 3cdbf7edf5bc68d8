package blob

import "time"

// RemoveStaleTemps deletes the temporary files of writes that a crash cut
// off and that were last written before cutoff. Only file:// buckets have
// them (an S3 multipart upload cut off is left to the bucket's lifecycle
// rule for incomplete uploads). It is best effort and safe to call while
// writes are in progress, provided cutoff is older than any live write's
// last Write.
func (b *Bucket) RemoveStaleTemps(cutoff time.Time) {
	if b.file != nil {
		b.file.removeStaleTemps(cutoff)
	}
}
