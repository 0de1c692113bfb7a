// Package awsfault is a fault-injecting HTTP reverse proxy in front of an
// AWS-compatible endpoint (moto) for tests. moto cannot fail a single call or
// a single PutEvents entry; this can: point an SDK config's BaseEndpoint (or a
// function's AWS_ENDPOINT_URL) at the proxy, inject faults per operation, and
// count the calls each operation received.
//
// Operations are identified by the X-Amz-Target header, which every service
// the provisioner uses sends with the aws-sdk-go-v2 versions in go.mod
// (all awsJson: "secretsmanager.*", "AWSEvents.*" and "Kinesis_20131202.*" on
// 1.1, "DynamoDB_20120810.*" and "AmazonSQS.*" on 1.0). For a service on the
// Smithy RPC v2 CBOR protocol (Smithy-Protocol: rpc-v2-cbor, path
// /service/<S>/operation/<O>) the operation is "<S>.<O>".
//
// It is test infrastructure: it must never be used by the function itself or
// in front of a real AWS endpoint, and it never logs.
package awsfault
