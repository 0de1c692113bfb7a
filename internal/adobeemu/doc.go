// Package adobeemu is a local emulator of Adobe IMS (the OAuth
// server-to-server token endpoint) and of the Adobe Experience Platform Flow
// Service, for end-to-end tests, `make run` demos without an Adobe account,
// benchmarks and fault-matrix runs.
//
// The Emulator is an http.Handler serving three areas:
//
//   - POST /ims/token/v3: IMS client-credentials tokens for the one
//     credential in Options.
//   - /data/foundation/flowservice/...: Flow Service, at the same base path as
//     production, so a client's base URL is "<server>/data/foundation/flowservice".
//     Every request passes the API gateway checks (token, x-api-key,
//     x-gw-ims-org-id), the x-sandbox-name check, and validation against the
//     official OpenAPI document (contracts.FlowServiceSpec, corrected as listed
//     in package flowspec), before the endpoint logic runs on state kept per
//     organization and sandbox. Kinesis base connections, the Kinesis
//     connection spec and source connections are implemented; other operations
//     of the spec are validated, then answered 501.
//   - /__emulator/...: an admin API (requests log, fault injection, reset,
//     state) for harnesses that do not run in the same process.
//
// Every IMS and Flow request is recorded, and queued Faults make the emulator
// answer with an error status, a malformed body, a delay, a hang or a
// connection reset, before or after the real handler ran.
//
// Where Adobe documents no behaviour the emulator picks one; the choices are
// listed on the handlers and in the Emulator documentation. Notable ones:
// error code FLOW-1900-400 for Kinesis credentials the emulator rejects, and
// continuation tokens that carry the filters of the listing they continue.
//
// The emulator must never call Adobe or AWS, never log, and never put a secret
// (client secret, access token, Kinesis secret key) in an error body, an error
// string or a Redacted request. It is test infrastructure: production code must
// never import it.
package adobeemu
