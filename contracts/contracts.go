// Package contracts carries the external API contracts the provisioner is
// built against, so that code and tests read them from one place.
//
// FlowServiceSpec is Adobe's official OpenAPI description of the Flow Service
// API, copied unmodified from AdobeDocs/experience-platform-apis under the
// Apache License 2.0 (see SOURCES.md and LICENSE.experience-platform-apis).
// flowservice.md holds our notes on the contract where the spec is silent or
// wrong.
package contracts

import _ "embed"

// FlowServiceSpec is the Flow Service OpenAPI 3 document (YAML).
//
//go:embed flow-service.yaml
var FlowServiceSpec []byte

// KinesisConnectionSpecID is the Flow Service connection spec of the Amazon
// Kinesis source.
const KinesisConnectionSpecID = "86043421-563b-46ec-8e6c-e23184711bf6"
