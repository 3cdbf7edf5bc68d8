// Package logscan holds the test that proves callimport logs no personal
// data and no secrets: it runs a realistic flow through a complete server
// (uploads by form and by tus with agent e-mails and phone numbers in
// metadata, API keys, OAuth tokens, web sign-ins, bad requests, erasures and
// retention) with logging at debug level, then looks for each e-mail, phone
// number, metadata value, file name, key, secret, token and password in
// every log line. It has no code of its own.
package logscan
