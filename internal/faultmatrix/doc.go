// Package faultmatrix declares the provisioner's fault matrix as data and
// runs it: for every dependency of the function (Secrets Manager, IMS, Flow
// Service look-ups and creates, the DynamoDB ledger, EventBridge PutEvents)
// and every fault that can happen to it (a timeout, a 5xx, a 429 or
// throttling, a malformed body, a connection reset, a partial failure), a
// Cell says how the fault is injected (an awsfault.Fault in front of moto,
// an adobeemu.Fault in the Adobe emulator, and for how long) and the outcome
// expected once Lambda's own asynchronous retries are counted.
//
// A Runner runs each cell against a fresh localenv.Stack (on one shared
// moto) and fresh functions: the real bootstrap under the Lambda Runtime
// Interface Emulator, invoked with a CloudTrail CreateStream event and
// invoked again, as Lambda's asynchronous retry policy does, after every
// function error (3 invocations at most). Result.Misses checks the expected
// outcome and the invariants: at most one base and one source connection
// (no duplicate), no successful invocation without its published event (no
// lost publication), every failure a clean RetryableError or
// ProvisioningError (never the RIE's timeout, never a panic), and no secret
// in logs, results or events. WriteMarkdown prints the matrix as a table.
//
// It is test infrastructure for the fault-matrix test and cmd/faults. It
// must never be imported by the function, never talk to a real AWS account
// or to Adobe, never log (results are returned, printing is the caller's),
// and never leave a process running.
package faultmatrix
