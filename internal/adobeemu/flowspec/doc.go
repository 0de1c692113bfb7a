// Package flowspec checks HTTP requests against Adobe's official Flow Service
// OpenAPI document (contracts.FlowServiceSpec), corrected by our contract notes
// (contracts/flowservice.md) where the document is known to be wrong.
//
// It is the "is this request well-formed?" half of the Adobe emulator: it finds
// the operation a request addresses and validates its path, query, headers and
// body with kin-openapi's openapi3filter. The corrections it applies to the
// loaded document are listed on Load.
//
// It must never hold state, answer requests or decide business rules (that is
// the emulator's job), and the messages of its errors must never contain the
// values that were sent, because request bodies carry credentials.
package flowspec
