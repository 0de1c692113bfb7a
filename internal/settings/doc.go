// Package settings turns the function's environment variables into a typed,
// validated Settings value.
//
// It is the only package that reads configuration, and it does so once, at
// start-up: a missing or malformed variable is reported together with every
// other problem found, so one failed cold start tells the operator everything
// to fix. Settings never holds secret values, only the ids of the secrets that
// hold them.
package settings
