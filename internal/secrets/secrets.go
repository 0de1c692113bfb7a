package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/singleflight"
)

// getSecretValueAPI is the one Secrets Manager operation the store needs.
// *secretsmanager.Client satisfies it.
type getSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Store reads secrets and caches their values. It is safe for concurrent
// use; concurrent reads of one secret share one call.
type Store struct {
	api   getSecretValueAPI
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	value   string
	expires time.Time
}

// NewStore returns a Store that reuses a value for ttl after reading it. A
// ttl of zero disables caching.
func NewStore(api getSecretValueAPI, ttl time.Duration) *Store {
	return &Store{api: api, ttl: ttl, now: time.Now, cache: make(map[string]cached)}
}

// Forget drops the cached value of secretID, so the next read goes to
// Secrets Manager (used when a credential was rejected and may have rotated).
func (s *Store) Forget(secretID string) {
	s.mu.Lock()
	delete(s.cache, secretID)
	s.mu.Unlock()
}

// KinesisKeys reads and validates the Kinesis access keys in secretID.
func (s *Store) KinesisKeys(ctx context.Context, secretID string) (KinesisKeys, error) {
	var k KinesisKeys
	if err := s.decode(ctx, secretID, &k); err != nil {
		return KinesisKeys{}, err
	}
	if err := k.validate(secretID); err != nil {
		return KinesisKeys{}, err
	}
	return k, nil
}

// AdobeCredentials reads and validates the Adobe credentials in secretID.
func (s *Store) AdobeCredentials(ctx context.Context, secretID string) (AdobeCredentials, error) {
	var c AdobeCredentials
	if err := s.decode(ctx, secretID, &c); err != nil {
		return AdobeCredentials{}, err
	}
	if err := c.validate(secretID); err != nil {
		return AdobeCredentials{}, err
	}
	return c, nil
}

func (s *Store) decode(ctx context.Context, secretID string, v any) error {
	raw, err := s.value(ctx, secretID)
	if err != nil {
		return err
	}
	return decodeJSON(secretID, raw, v)
}

// decodeJSON decodes a secret's JSON. Its errors never quote the input:
// encoding/json's syntax errors can echo a character of the secret.
func decodeJSON(secretID, raw string, v any) error {
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return &Error{SecretID: secretID, Field: typeErr.Field, Reason: "must be a " + typeErr.Type.Kind().String()}
		case errors.As(err, &typeErr):
			return &Error{SecretID: secretID, Reason: "must be a JSON object"}
		default:
			return &Error{SecretID: secretID, Reason: "is not valid JSON"}
		}
	}
	return nil
}

func (s *Store) value(ctx context.Context, secretID string) (string, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[secretID]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.value, nil
	}
	// The shared call is not tied to one caller's cancellation: a caller that
	// gives up must not fail the others waiting on the same read.
	ch := s.group.DoChan(secretID, func() (any, error) {
		return s.fetch(context.WithoutCancel(ctx), secretID)
	})
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("read secret %q: %w", secretID, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

// fetchTimeout bounds one shared read, since it outlives its callers' contexts.
const fetchTimeout = 10 * time.Second

func (s *Store) fetch(ctx context.Context, secretID string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(secretID),
		VersionStage: aws.String("AWSCURRENT"),
	})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return "", &Error{SecretID: secretID, Reason: "does not exist (or has no AWSCURRENT version)", NotFound: true, Err: err}
		}
		return "", fmt.Errorf("read secret %q: %w", secretID, err)
	}
	if out.SecretString == nil {
		return "", &Error{SecretID: secretID, Reason: "holds a binary value; a JSON string is required"}
	}
	if s.ttl > 0 {
		s.mu.Lock()
		s.cache[secretID] = cached{value: *out.SecretString, expires: s.now().Add(s.ttl)}
		s.mu.Unlock()
	}
	return *out.SecretString, nil
}

// Error reports a secret that is missing or whose content is unusable. It
// names the secret and the field, never a value.
type Error struct {
	SecretID string
	// Field is the JSON field at fault, if any.
	Field  string
	Reason string
	// NotFound is set when the secret does not exist.
	NotFound bool
	// Err is the underlying SDK error, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("secret %q: field %q %s", e.SecretID, e.Field, e.Reason)
	}
	return fmt.Sprintf("secret %q %s", e.SecretID, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// ExpandID fills the {accountId} and {region} placeholders of a secret id
// template.
func ExpandID(template, accountID, region string) string {
	return strings.NewReplacer("{accountId}", accountID, "{region}", region).Replace(template)
}

// KinesisKeys are the AWS access keys Flow Service uses to read the streams.
type KinesisKeys struct {
	AccessKeyID string `json:"accessKeyId"`
	SecretKey   string `json:"secretKey"`
	// Region is optional; the connection always uses the stream's region.
	Region string `json:"region,omitempty"`
}

func (k KinesisKeys) validate(secretID string) error {
	switch {
	case strings.TrimSpace(k.AccessKeyID) == "":
		return &Error{SecretID: secretID, Field: "accessKeyId", Reason: "is missing or empty"}
	case strings.TrimSpace(k.SecretKey) == "":
		return &Error{SecretID: secretID, Field: "secretKey", Reason: "is missing or empty"}
	}
	return nil
}

// String redacts the keys.
func (k KinesisKeys) String() string {
	return fmt.Sprintf("KinesisKeys{AccessKeyID: %s, SecretKey: REDACTED, Region: %q}", MaskKeyID(k.AccessKeyID), k.Region)
}

// GoString redacts the keys.
func (k KinesisKeys) GoString() string { return k.String() }

// LogValue redacts the keys.
func (k KinesisKeys) LogValue() slog.Value {
	return slog.GroupValue(slog.String("accessKeyId", MaskKeyID(k.AccessKeyID)), slog.String("region", k.Region))
}

// MaskKeyID shows the first four characters of an access key id, which name
// its kind (AKIA, ASIA) without identifying it.
func MaskKeyID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return id[:4] + "****"
}

// AdobeCredentials are the OAuth server-to-server credentials of an Adobe
// Developer Console project.
type AdobeCredentials struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	OrgID        string `json:"orgId"`
	// Scopes is optional; it may be a JSON array or one comma-separated
	// string.
	Scopes Scopes `json:"scopes,omitempty"`
}

func (c AdobeCredentials) validate(secretID string) error {
	for _, f := range []struct{ name, value string }{
		{"clientId", c.ClientID}, {"clientSecret", c.ClientSecret}, {"orgId", c.OrgID},
	} {
		if strings.TrimSpace(f.value) == "" {
			return &Error{SecretID: secretID, Field: f.name, Reason: "is missing or empty"}
		}
	}
	return nil
}

// String redacts the client secret.
func (c AdobeCredentials) String() string {
	return fmt.Sprintf("AdobeCredentials{ClientID: %q, ClientSecret: REDACTED, OrgID: %q}", c.ClientID, c.OrgID)
}

// GoString redacts the client secret.
func (c AdobeCredentials) GoString() string { return c.String() }

// LogValue redacts the client secret.
func (c AdobeCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("clientId", c.ClientID), slog.String("orgId", c.OrgID))
}

// Scopes is a list of IMS scopes that decodes from a JSON array or from one
// comma-separated string.
type Scopes []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *Scopes) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*s = clean(list)
		return nil
	}
	var joined string
	if err := json.Unmarshal(b, &joined); err != nil {
		return &json.UnmarshalTypeError{Value: "scopes", Type: typeOfString}
	}
	*s = clean(strings.Split(joined, ","))
	return nil
}

func clean(in []string) []string {
	var out []string
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

var typeOfString = reflect.TypeOf("")
