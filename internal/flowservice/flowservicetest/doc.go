// Package flowservicetest provides hand-written fakes for code that uses
// package flowservice: a TokenSource that hands out fixed credentials and
// records invalidations.
//
// It is for tests and local runs only; it never talks to Adobe and must never
// be wired into the deployed binary. The full Flow Service emulator lives
// elsewhere; this package stays small.
package flowservicetest
