// Package tusupload serves resumable uploads (tus 1.0: core, creation,
// creation-with-upload, termination, expiration) with tusd's handler as a
// library, and turns each completed upload into one call through
// ingest.Service.Ingest, like every other channel.
//
// # Configure
//
// Build one Handler per process with New (Ingest, Campaigns and Dir are
// required; Dir is a staging folder such as <data-dir>/uploads), run
// Handler.Run under the server's errgroup (it removes expired uploads and
// retries completions that failed), and serve it under Config.BasePath
// (/v1/uploads/) behind the front end's authentication: the front end puts
// the authenticated organisation in the request context with WithCaller.
// OPTIONS needs no caller.
//
// # Protocol
//
//   - POST creates an upload. Upload-Metadata (base64 values, per tus) holds
//     filename and the call envelope: campaign_id, and optionally
//     conversation_timestamp, agent_email, external_id, metadata. The
//     envelope is validated and the campaign looked up before any byte is
//     accepted (422 naming the field, 404 for an unknown campaign);
//     Upload-Length over the limit answers 413, and 0 answers 422.
//   - PATCH appends at Upload-Offset. Once the first 4 KiB (or the whole
//     file, if smaller) are in, bytes that are not audio end the upload:
//     it is terminated and that request answers 415.
//   - The request that delivers the last byte answers only after the call is
//     committed, with Upload-Call-Id, Upload-Call-Location and, for a call
//     that already existed, Upload-Call-Duplicate: true. HEAD, and a PATCH at
//     the final offset, on a completed upload answer the same headers, so a
//     client that lost the answer learns the call; a completed upload never
//     makes a second call.
//   - If ingest fails for a reason worth retrying (storage down), the bytes
//     stay: the next HEAD or final-offset PATCH, or the next sweep, tries
//     again. A refusal (another external_id's audio, a deleted campaign, ...)
//     is recorded and answered identically each time.
//   - DELETE terminates the upload (its call, if any, stays).
//   - Every request names an upload of the caller's organisation; another
//     organisation's upload answers 404, as an unknown one does. The
//     organisation is kept server-side, never read from client metadata.
//
// Errors are application/problem+json, through Config.WriteError.
//
// # What to watch
//
// Uploads live in Dir as <id>.json (who, envelope, outcome) and <id>.bin
// (the bytes so far); an upload expires Config.Expiry (24 h) after its
// creation, announced in Upload-Expires. Dir is local to the process: with
// several processes behind a load balancer, requests for one upload must
// reach the same process (sticky routing), or Dir must be shared storage
// and the locker replaced. Disk use is bounded by the uploads in flight
// plus those completed in the last Expiry whose ingest keeps failing.
package tusupload
