// Package localenv starts and stops the local stand-ins the provisioner
// function runs against: moto_server (Secrets Manager, EventBridge, DynamoDB,
// SQS, Kinesis) and the AWS Lambda Runtime Interface Emulator (RIE) running the
// real bootstrap binary. It also builds that binary exactly as the SAM Makefile
// target does and seeds/reads back AWS resources with the real SDK clients.
//
// It is for end-to-end tests, benchmarks and developer commands (make run).
// It must never be imported by the function itself, never talk to a real AWS
// account (every config it builds has static fake credentials and a loopback
// endpoint), and never leave a process running: every child runs in its own
// process group, which Close kills. Callers own the lifetime: register Close
// with t.Cleanup (tests) or defer it (commands).
//
// Processes are started with Setpgid (and, on Linux, a parent-death signal),
// so the package works on Linux and macOS; the RIE itself is Linux only.
package localenv
