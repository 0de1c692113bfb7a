// Package secrets reads the function's credentials from AWS Secrets Manager:
// the Kinesis access keys that Flow Service needs and the Adobe OAuth
// server-to-server credentials.
//
// Values are read at the AWSCURRENT stage only and cached across warm
// invocations for a configurable time. Errors name the secret id and the
// field at fault, never a value; the credential types redact themselves when
// printed or logged. This package never logs.
package secrets
