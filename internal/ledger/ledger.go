package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynamoAPI is the part of DynamoDB the ledger uses. *dynamodb.Client
// satisfies it.
type dynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Attribute names of the table. pk and sk are the key; expiresAt is the TTL
// attribute (epoch seconds).
const (
	attrPK           = "pk"
	attrSK           = "sk"
	attrState        = "state"
	attrConnectionID = "connectionId"
	attrETag         = "etag"
	attrName         = "name"
	attrBaseID       = "baseConnectionId"
	attrAnnounced    = "announced"
	attrCreatedBy    = "createdBy"
	attrTest         = "connectionTest"
	attrVerifiedAt   = "verifiedAt"
	attrLockOwner    = "lockOwner"
	attrLockUntil    = "lockUntil"
	attrUpdatedAt    = "updatedAt"
	attrExpiresAt    = "expiresAt"
)

// PendingTTL is how long after its lock expired an abandoned pending record
// is kept before DynamoDB's TTL may remove it.
const PendingTTL = 24 * time.Hour

// Key identifies a record: the base connection of an account, region and
// sandbox, or (with Stream set) the source connection of one stream.
//
// Items of one account and region share a partition (pk "account#region"),
// so one Query finds a stream in every sandbox, and the sort key names the
// rest: "base#sandbox" or "stream#name#sandbox". None of the parts can
// contain "#" (their validation forbids it).
type Key struct {
	AccountID, Region, Sandbox string
	Stream                     string
}

func (k Key) pk() string { return k.AccountID + "#" + k.Region }

func (k Key) sk() string {
	if k.Stream == "" {
		return "base#" + k.Sandbox
	}
	return "stream#" + k.Stream + "#" + k.Sandbox
}

// Base returns the key of the base connection the key's stream uses.
func (k Key) Base() Key { return Key{AccountID: k.AccountID, Region: k.Region, Sandbox: k.Sandbox} }

func (k Key) item() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(k.pk()), attrSK: str(k.sk())}
}

// String is the key as stored, for errors and logs.
func (k Key) String() string { return k.pk() + "/" + k.sk() }

// State is a record's state.
type State string

// States.
const (
	Pending State = "pending"
	Ready   State = "ready"
)

// Record is what the ledger knows of one key.
type Record struct {
	Key   Key
	State State
	// ConnectionID and ETag are set when Ready.
	ConnectionID string
	ETag         string
	Name         string
	// BaseConnectionID is set on stream records.
	BaseConnectionID string
	// CreatedBy is the correlation id of the request whose invocation
	// created the connection (empty when it was adopted).
	CreatedBy string
	// Announced reports whether the event for the connection's creation was
	// published.
	Announced bool
	// Test is the outcome of the connection test run when the base
	// connection was created: passed, failed or skipped.
	Test string
	// VerifiedAt is when Flow Service last confirmed the connection.
	VerifiedAt time.Time
	// LockOwner and LockUntil are set when Pending.
	LockOwner string
	LockUntil time.Time
	UpdatedAt time.Time
}

// LockedAt reports whether the record is pending under a lock that is still
// alive at now.
func (r Record) LockedAt(now time.Time) bool {
	return r.State == Pending && now.Before(r.LockUntil)
}

// ErrLockLost is returned when a change requires holding the lock and the
// caller no longer holds it.
var ErrLockLost = errors.New("ledger: the record changed: another invocation holds its lock, the lock expired, or it names another connection")

// Table is the ledger on one DynamoDB table. It is safe for concurrent use.
type Table struct {
	api   dynamoAPI
	name  string
	clock func() time.Time
}

// New returns the ledger on table name.
func New(api dynamoAPI, name string) (*Table, error) {
	if api == nil || name == "" {
		return nil, errors.New("ledger: a DynamoDB client and a table name are required")
	}
	return &Table{api: api, name: name, clock: time.Now}, nil
}

// Get returns the records that exist among keys, in one round trip (a
// strongly consistent GetItem, or BatchGetItem for several keys).
func (t *Table) Get(ctx context.Context, keys ...Key) (map[Key]Record, error) {
	out := make(map[Key]Record, len(keys))
	switch len(keys) {
	case 0:
		return out, nil
	case 1:
		resp, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: keys[0].item(), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("ledger: get %s: %w", keys[0], err)
		}
		if resp.Item != nil {
			rec, err := decode(resp.Item)
			if err != nil {
				return nil, err
			}
			out[rec.Key] = rec
		}
		return out, nil
	}
	byID := make(map[string]Key, len(keys))
	request := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		byID[k.String()] = k
		request = append(request, k.item())
	}
	pending := map[string]types.KeysAndAttributes{t.name: {Keys: request, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == 5 {
			return nil, fmt.Errorf("ledger: batch get: keys still unprocessed after %d attempts", attempt)
		}
		resp, err := t.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return nil, fmt.Errorf("ledger: batch get: %w", err)
		}
		for _, item := range resp.Responses[t.name] {
			rec, err := decode(item)
			if err != nil {
				return nil, err
			}
			if k, ok := byID[rec.Key.String()]; ok {
				rec.Key = k
			}
			out[rec.Key] = rec
		}
		pending = resp.UnprocessedKeys
		if len(pending) > 0 {
			if err := sleep(ctx, time.Duration(attempt+1)*20*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Stream returns the records of a stream in every sandbox of an account and
// region, with one Query.
func (t *Table) Stream(ctx context.Context, accountID, region, stream string) ([]Record, error) {
	return t.query(ctx, Key{AccountID: accountID, Region: region}.pk(), "stream#"+stream+"#")
}

// Region returns every record of an account and region: the base
// connections of each sandbox and the streams'.
func (t *Table) Region(ctx context.Context, accountID, region string) ([]Record, error) {
	return t.query(ctx, Key{AccountID: accountID, Region: region}.pk(), "")
}

func (t *Table) query(ctx context.Context, pk, skPrefix string) ([]Record, error) {
	cond := "#pk = :pk"
	names := map[string]string{"#pk": attrPK}
	values := map[string]types.AttributeValue{":pk": str(pk)}
	if skPrefix != "" {
		cond += " AND begins_with(#sk, :prefix)"
		names["#sk"] = attrSK
		values[":prefix"] = str(skPrefix)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.name),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ConsistentRead:            aws.Bool(true),
	}
	var out []Record
	for page := 0; ; page++ {
		if page == 100 {
			return nil, fmt.Errorf("ledger: query %s: more than 100 pages", pk)
		}
		resp, err := t.api.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ledger: query %s: %w", pk, err)
		}
		for _, item := range resp.Items {
			rec, err := decode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
		if len(resp.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = resp.LastEvaluatedKey
	}
}

// Bases returns the base connection records of every account and region, or
// of one account when accountID is set. It scans the table: it serves the
// rare key rotation, not the hot path.
func (t *Table) Bases(ctx context.Context, accountID string) ([]Record, error) {
	filter := "begins_with(#sk, :base)"
	names := map[string]string{"#sk": attrSK}
	values := map[string]types.AttributeValue{":base": str("base#")}
	if accountID != "" {
		filter += " AND begins_with(#pk, :account)"
		names["#pk"] = attrPK
		values[":account"] = str(accountID + "#")
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(t.name),
		FilterExpression:          aws.String(filter),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ConsistentRead:            aws.Bool(true),
	}
	var out []Record
	for page := 0; ; page++ {
		if page == 1000 {
			return nil, errors.New("ledger: scan: more than 1000 pages")
		}
		resp, err := t.api.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ledger: scan bases: %w", err)
		}
		for _, item := range resp.Items {
			rec, err := decode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
		if len(resp.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = resp.LastEvaluatedKey
	}
}

// Acquire takes the lock on key for owner until the given time. It succeeds
// when there is no record, when the record is pending under an expired lock,
// or when the record is ready with connection id replacing (a connection Flow
// Service no longer has). It reports false, without error, when another
// invocation holds the key.
func (t *Table) Acquire(ctx context.Context, key Key, owner string, until time.Time, replacing string) (bool, error) {
	now := t.clock()
	item := key.item()
	item[attrState] = str(string(Pending))
	item[attrLockOwner] = str(owner)
	item[attrLockUntil] = millis(until)
	item[attrUpdatedAt] = millis(now)
	item[attrExpiresAt] = num(until.Add(PendingTTL).Unix())
	cond := "attribute_not_exists(#pk) OR (#state = :pending AND #lockUntil < :now)"
	values := map[string]types.AttributeValue{":pending": str(string(Pending)), ":now": millis(now)}
	names := map[string]string{"#pk": attrPK, "#state": attrState, "#lockUntil": attrLockUntil}
	if replacing != "" {
		cond += " OR (#state = :ready AND #connectionId = :replacing)"
		values[":ready"] = str(string(Ready))
		values[":replacing"] = str(replacing)
		names["#connectionId"] = attrConnectionID
	}
	_, err := t.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(t.name),
		Item:                      item,
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("ledger: lock %s: %w", key, err)
	}
	return true, nil
}

// Completion is what becomes known when a connection exists.
type Completion struct {
	ConnectionID, ETag, Name string
	BaseConnectionID         string
	// CreatedBy is the correlation id of the creating request; empty when
	// the connection was adopted.
	CreatedBy string
	// Announced is true when no creation event is owed (the connection was
	// adopted, not created).
	Announced bool
	// Test is the connection test's outcome, if one ran.
	Test string
}

// Complete turns owner's pending record into a ready one. It fails with
// ErrLockLost when owner no longer holds the lock.
func (t *Table) Complete(ctx context.Context, key Key, owner string, c Completion) error {
	now := t.clock()
	set := "SET #state = :ready, #connectionId = :id, #etag = :etag, #name = :name, #announced = :announced, #verifiedAt = :now, #updatedAt = :now"
	names := map[string]string{
		"#state": attrState, "#connectionId": attrConnectionID, "#etag": attrETag, "#name": attrName,
		"#announced": attrAnnounced, "#verifiedAt": attrVerifiedAt, "#updatedAt": attrUpdatedAt,
		"#lockOwner": attrLockOwner, "#lockUntil": attrLockUntil, "#expiresAt": attrExpiresAt,
	}
	values := map[string]types.AttributeValue{
		":ready": str(string(Ready)), ":pending": str(string(Pending)), ":id": str(c.ConnectionID), ":etag": str(c.ETag),
		":name": str(c.Name), ":announced": &types.AttributeValueMemberBOOL{Value: c.Announced}, ":now": millis(now), ":owner": str(owner),
	}
	if c.CreatedBy != "" {
		set += ", #createdBy = :createdBy"
		names["#createdBy"] = attrCreatedBy
		values[":createdBy"] = str(c.CreatedBy)
	}
	if c.Test != "" {
		set += ", #test = :test"
		names["#test"] = attrTest
		values[":test"] = str(c.Test)
	}
	if c.BaseConnectionID != "" {
		set += ", #base = :base"
		names["#base"] = attrBaseID
		values[":base"] = str(c.BaseConnectionID)
	}
	_, err := t.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.name),
		Key:                       key.item(),
		UpdateExpression:          aws.String(set + " REMOVE #lockOwner, #lockUntil, #expiresAt"),
		ConditionExpression:       aws.String("#state = :pending AND #lockOwner = :owner"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return t.conditional(err, "complete", key)
}

// Note is what Annotate records on the record of a connection.
type Note struct {
	// Announced records that the creation event was published.
	Announced bool
	// Test is the connection test's outcome, when set.
	Test string
	// ETag is the connection's etag after an update, when set.
	ETag string
}

// Annotate records n on the record of connectionID (and fails with
// ErrLockLost when the key holds another connection).
func (t *Table) Annotate(ctx context.Context, key Key, connectionID string, n Note) error {
	var set []string
	names := map[string]string{"#connectionId": attrConnectionID, "#updatedAt": attrUpdatedAt}
	values := map[string]types.AttributeValue{":id": str(connectionID), ":now": millis(t.clock())}
	if n.Announced {
		set = append(set, "#announced = :true")
		names["#announced"] = attrAnnounced
		values[":true"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if n.Test != "" {
		set = append(set, "#test = :test")
		names["#test"] = attrTest
		values[":test"] = str(n.Test)
	}
	if n.ETag != "" {
		set = append(set, "#etag = :etag")
		names["#etag"] = attrETag
		values[":etag"] = str(n.ETag)
	}
	_, err := t.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.name),
		Key:                       key.item(),
		UpdateExpression:          aws.String("SET " + strings.Join(append(set, "#updatedAt = :now"), ", ")),
		ConditionExpression:       aws.String("#connectionId = :id"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return t.conditional(err, "annotate", key)
}

// Touch records that Flow Service confirmed connectionID at the given time.
func (t *Table) Touch(ctx context.Context, key Key, connectionID string, at time.Time) error {
	_, err := t.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.name),
		Key:                       key.item(),
		UpdateExpression:          aws.String("SET #verifiedAt = :at"),
		ConditionExpression:       aws.String("#connectionId = :id"),
		ExpressionAttributeNames:  map[string]string{"#verifiedAt": attrVerifiedAt, "#connectionId": attrConnectionID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": millis(at), ":id": str(connectionID)},
	})
	return t.conditional(err, "touch", key)
}

// Release gives up owner's lock, deleting the pending record, so that the
// next invocation need not wait for the lock to expire.
func (t *Table) Release(ctx context.Context, key Key, owner string) error {
	_, err := t.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.name),
		Key:                       key.item(),
		ConditionExpression:       aws.String("#state = :pending AND #lockOwner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#state": attrState, "#lockOwner": attrLockOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(string(Pending)), ":owner": str(owner)},
	})
	return t.conditional(err, "release", key)
}

// Delete removes a ready record (its connection is gone).
func (t *Table) Delete(ctx context.Context, key Key, connectionID string) error {
	_, err := t.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.name),
		Key:                       key.item(),
		ConditionExpression:       aws.String("#connectionId = :id"),
		ExpressionAttributeNames:  map[string]string{"#connectionId": attrConnectionID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(connectionID)},
	})
	return t.conditional(err, "delete", key)
}

func (t *Table) conditional(err error, op string, key Key) error {
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return fmt.Errorf("ledger: %s %s: %w", op, key, ErrLockLost)
	case err != nil:
		return fmt.Errorf("ledger: %s %s: %w", op, key, err)
	}
	return nil
}

func decode(item map[string]types.AttributeValue) (Record, error) {
	key, err := parseKey(getS(item, attrPK), getS(item, attrSK))
	if err != nil {
		return Record{}, err
	}
	rec := Record{
		Key:              key,
		State:            State(getS(item, attrState)),
		ConnectionID:     getS(item, attrConnectionID),
		ETag:             getS(item, attrETag),
		Name:             getS(item, attrName),
		BaseConnectionID: getS(item, attrBaseID),
		CreatedBy:        getS(item, attrCreatedBy),
		Test:             getS(item, attrTest),
		LockOwner:        getS(item, attrLockOwner),
		VerifiedAt:       getTime(item, attrVerifiedAt),
		LockUntil:        getTime(item, attrLockUntil),
		UpdatedAt:        getTime(item, attrUpdatedAt),
	}
	if b, ok := item[attrAnnounced].(*types.AttributeValueMemberBOOL); ok {
		rec.Announced = b.Value
	}
	if rec.State != Pending && rec.State != Ready {
		return Record{}, fmt.Errorf("ledger: record %s has unknown state %q", rec.Key, rec.State)
	}
	return rec, nil
}

func parseKey(pk, sk string) (Key, error) {
	account, region, ok := strings.Cut(pk, "#")
	if ok {
		if sandbox, isBase := strings.CutPrefix(sk, "base#"); isBase && sandbox != "" {
			return Key{AccountID: account, Region: region, Sandbox: sandbox}, nil
		}
		if rest, isStream := strings.CutPrefix(sk, "stream#"); isStream {
			if stream, sandbox, ok := strings.Cut(rest, "#"); ok && stream != "" && sandbox != "" {
				return Key{AccountID: account, Region: region, Sandbox: sandbox, Stream: stream}, nil
			}
		}
	}
	return Key{}, fmt.Errorf("ledger: malformed key %q/%q", pk, sk)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func millis(t time.Time) types.AttributeValue { return num(t.UnixMilli()) }

func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getTime(item map[string]types.AttributeValue, name string) time.Time {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
