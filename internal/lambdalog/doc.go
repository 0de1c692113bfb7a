// Package lambdalog provides the function's structured logger: log/slog JSON
// lines in the shape Lambda's JSON log format uses (timestamp, level,
// message), at the level Lambda's log settings ask for, with the invocation's
// request id attached to every line logged with a context.
//
// It only formats what it is given; keeping secrets out of log lines is the
// caller's job (secret-bearing types redact themselves through
// slog.LogValuer).
package lambdalog
