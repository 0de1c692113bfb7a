// Package provision is the provisioner's use case: given an AWS account,
// region, sandbox and (optionally) a Kinesis stream, make sure Adobe
// Experience Platform has a Flow Service connection for it, and publish the
// connection id.
//
// It knows nothing of Lambda, API Gateway or EventBridge envelopes: the
// trigger package translates those into a Request. It declares the small
// interfaces it needs (the key reader, Flow Service and the publisher), so
// tests drive it with fakes. It never logs: it returns a Result, with any
// warnings in it, or an error a caller can classify with errors.As.
// No secret value ever reaches a Result, an event or an error.
package provision
