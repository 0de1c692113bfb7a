package imsauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/imsauth"
)

func ExampleSource_Token() {
	// A stand-in for IMS; in production leave WithTokenURL out.
	ims := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"access_token":"fake-access-token","token_type":"bearer","expires_in":86399}`)
	}))
	defer ims.Close()

	src, err := imsauth.New(
		imsauth.WithTokenURL(ims.URL),
		// In production this reads Secrets Manager; it runs only when a token
		// must be minted.
		imsauth.WithCredentials(imsauth.StaticCredentials(imsauth.Credentials{
			ClientID:     "fake-client-id",
			ClientSecret: "fake-client-secret",
			OrgID:        "FAKEORG@AdobeOrg",
			Scopes:       []string{"openid", "AdobeID", "read_organizations", "additional_info.projectedProductContext"},
		})),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok) // the access token is redacted
	// Output: flowservice.Token{AccessToken: REDACTED, APIKey: "fake-client-id", OrgID: "FAKEORG@AdobeOrg"}
}
