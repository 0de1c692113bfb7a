// Package eventbus publishes the function's events to an Amazon EventBridge
// bus with PutEvents.
//
// PutEvents can answer without an error and still drop entries, so the
// publisher checks FailedEntryCount and every entry, re-sends only the
// entries that were not accepted a bounded number of times, and reports what
// was still refused as an *EntryError. It never reports an entry as published
// that EventBridge did not accept. Callers must not put secrets in an event's
// detail; this package never logs.
package eventbus
