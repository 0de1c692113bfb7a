package flowservice_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice"
	"github.com/aep-kinesis-provisioner/aep-kinesis-provisioner/internal/flowservice/flowservicetest"
)

func ExampleClient_CreateConnection() {
	// A stand-in for Flow Service; in production leave WithBaseURL out.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"4cb0c374-d3bb-4557-b139-5712880adc55","etag":"\"6507cfd8-0000-0200-0000-5e18fc600000\""}`)
	}))
	defer srv.Close()

	// In production the token source is an *imsauth.Source.
	tokens := flowservicetest.NewTokenSource(flowservice.Token{
		AccessToken: "fake-access-token",
		APIKey:      "fake-client-id",
		OrgID:       "FAKEORG@AdobeOrg",
	})
	client, err := flowservice.NewClient(
		flowservice.WithBaseURL(srv.URL+"/data/foundation/flowservice"),
		flowservice.WithTokenSource(tokens),
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	created, err := client.CreateConnection(context.Background(), "prod", &flowservice.ConnectionRequest{
		Name: "Amazon Kinesis connection",
		Auth: flowservice.Auth{
			SpecName: flowservice.KinesisAuthSpecName,
			Params:   flowservice.KinesisAuthParams{AccessKeyID: "FAKE-ACCESS-KEY-ID", SecretKey: "FAKE-SECRET-KEY", Region: "us-east-1"},
		},
		ConnectionSpec: flowservice.SpecRef{ID: "86043421-563b-46ec-8e6c-e23184711bf6", Version: "1.0"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(created.ID, created.ETag)
	// Output: 4cb0c374-d3bb-4557-b139-5712880adc55 "6507cfd8-0000-0200-0000-5e18fc600000"
}
