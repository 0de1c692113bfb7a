// Package benchrun measures the provisioner function the way it runs in
// Lambda: the real bootstrap under the AWS Lambda Runtime Interface Emulator
// (RIE), against moto and the Adobe emulator (package localenv), and reports
// what it measured. It is the engine of `make bench` (cmd/bench).
//
// Run drives three scenarios, each invocation checked for success:
//
//   - (a) cold: a fresh RIE per invocation, a new account and a new stream;
//     the latency runs from the invoke request to its response and so
//     includes the start of the bootstrap process and its initialisation;
//   - (b) warm, known account, new stream: one RIE, a new stream per invoke;
//   - (c) warm replay: one RIE, the same event again and again;
//
// plus an informational no-op scenario (an event the function skips, with no
// round trip), which shows what the RIE and the Lambda runtime cost alone.
//
// Every HTTP round trip of the function is seen by a Recorder: an
// http.Handler wrapped around the handlers that serve AWS (the awsfault proxy
// in front of moto) and Adobe (the emulator), served on its own loopback
// listener, so the recording adds no network hop. Each Call has the time its
// request reached the handler and the time the handler returned (the
// response is sent when the handler returns, so a call that depends on
// another starts after it ended).
//
// The floor of an invocation is the same round trips, replayed one after the
// other by a minimal client (aws-sdk-go-v2 clients with the recorded request
// body, and net/http for Adobe) from this process to the same endpoints; see
// Replayer. The ratio latency / floor is the headline; for cold starts the
// floor uses fresh connections and overhead = latency - floor.
//
// The pure parts (percentiles, critical paths, budgets, go test -bench
// output, Markdown) are separate from the parts that run processes, and are
// tested. Tests never time anything: timing is what this package does, never
// what its tests assert.
//
// It is a development tool: it must never be imported by the function, never
// talk to a real AWS or Adobe endpoint (everything runs on loopback with fake
// credentials), never print a secret (calls are reported by operation, not by
// content), and never leave a process running.
package benchrun
