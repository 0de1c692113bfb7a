// Package metrics writes the function's metrics in CloudWatch Embedded
// Metric Format (EMF): one JSON log line per invocation that CloudWatch turns
// into metrics, so no PutMetricData call (and no latency) is added.
//
// All metrics share one namespace and a Service dimension; failures are
// also counted per kind (FailureKind dimension). It writes counts only,
// never identifiers or secrets.
package metrics
