package benchrun

// justifications says, per operation (Call.Op), why the function makes that
// round trip. BENCHMARKS.md prints one line per operation a scenario made;
// an operation without a line is flagged there, so a new call has to be
// justified here (or removed).
var justifications = map[string]string{ //nolint:gosec // G101: operation names such as GetSecretValue, not credentials
	"dynamodb.GetItem":      "reads the ledger record of the (account, region, sandbox): a recent ready record answers without calling Adobe; otherwise it is the lock check before creating",
	"dynamodb.BatchGetItem": "reads the ledger records of the base connection and of the stream's source connection in one round trip: a replay needs nothing else before it publishes",
	"dynamodb.PutItem":      "takes the creation lock (a conditional write) of the base connection or of the stream's source connection, so concurrent invocations never create two",
	"dynamodb.UpdateItem":   "records the created or adopted connection and releases its lock (Complete); after publishing, marks the creation as announced (MarkAnnounced) so retries do not claim it again; after a verification, Touch",
	"dynamodb.DeleteItem":   "releases a lock early after a failed create, so others need not wait for it to expire",
	"dynamodb.Query":        "lists the ledger records of an account and region",
	"secretsmanager.GetSecretValue (Adobe credentials)": "client id and secret for the IMS token; read only when a token is needed, then cached for SECRET_CACHE_TTL",
	"secretsmanager.GetSecretValue (Kinesis keys)":      "the keys go into the connection's auth.params; read only when a connection is created",
	"ims POST /ims/token/v3":                            "the access token every Flow Service call needs; cached in the container until it expires",
	"flow GET /connections":                             "looks the base connection up by name before creating it, so one made elsewhere (AEP UI, an attempt whose create failed ambiguously) is adopted, never duplicated",
	"flow GET /connectionSpecs/{id}":                    "reads the Kinesis connection spec (once per container) to use an auth spec name Flow Service accepts",
	"flow POST /connections":                            "creates the base connection: the point of the function",
	"flow GET /connections/{id}":                        "verifies that a ledger record older than RECORD_VERIFY_AFTER still names an existing connection",
	"flow GET /connections/{id}/test":                   "tests the new connection's keys once, so keys without Kinesis permissions are reported in the event instead of at ingestion",
	"flow GET /sourceConnections":                       "looks the stream's source connection up by name before creating it (adopt, never duplicate)",
	"flow POST /sourceConnections":                      "creates the stream's source connection on the base connection",
	"flow GET /sourceConnections/{id}":                  "verifies that an old ledger record still names an existing source connection",
	"events.PutEvents":                                  "publishes the connection id (Kinesis Connection Provisioned), the function's output: on every invocation, replays included, since publication is at least once",
}

// unjustified is printed for an operation without a justification.
const unjustified = "**not justified**: add a line to internal/benchrun/justify.go, or remove the call"

// justification returns why op is called.
func justification(op string) (string, bool) {
	j, ok := justifications[op]
	if !ok {
		return unjustified, false
	}
	return j, true
}
