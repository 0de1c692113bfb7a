// Package ledger records, in a DynamoDB table, which Flow Service connection
// serves each (account, region, sandbox) and, later, each stream; and the
// same record is the lock that makes creating a connection happen once.
//
// A record is either pending (an invocation holds the lock until its
// deadline and may be creating the connection) or ready (the connection id
// is known). Every change is a conditional write, so two invocations can
// never both believe they hold the lock. A lock left by an invocation that
// died expires at that invocation's deadline; pending records also carry a
// TTL so abandoned ones disappear. The ledger holds ids, never credentials,
// and never logs.
package ledger
