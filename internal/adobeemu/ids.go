package adobeemu

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newETag returns an etag shaped like Flow Service's, literal quotes
// included: "\"6507cfd8-0000-0200-0000-5e18fc600000\"" (random prefix, then
// the Unix time in hex).
func newETag(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf(`"%s-0000-0200-0000-%08x0000"`, hex.EncodeToString(b[:]), now.Unix()&0xffffffff)
}

// newToken returns an opaque random access token.
func newToken() string {
	return rand.Text() + rand.Text()
}
