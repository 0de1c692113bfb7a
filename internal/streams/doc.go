// Package streams lists an account's Kinesis data streams in a region, with
// their tags, using the account's own access keys (the keys Flow Service
// reads the streams with), for reconciliation.
//
// It only reads (ListStreams, ListTagsForStream); it never logs and never
// puts the keys in an error.
package streams
