package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Invocation is what one invocation contributes to the metrics.
type Invocation struct {
	ColdStart                bool
	ConnectionsCreated       int
	ConnectionsReused        int
	SourceConnectionsCreated int
	SourceConnectionsDeleted int
	// Skipped counts events the function does not handle.
	Skipped bool
	// FailureKind is the error code of a failed invocation (e.g.
	// AdobeUnavailable, PublishFailed); empty when it succeeded.
	FailureKind string
	Duration    time.Duration
}

// Metric names.
const (
	ColdStart                = "ColdStart"
	ConnectionsCreated       = "ConnectionsCreated"
	ConnectionsReused        = "ConnectionsReused"
	SourceConnectionsCreated = "SourceConnectionsCreated"
	SourceConnectionsDeleted = "SourceConnectionsDeleted"
	EventsSkipped            = "EventsSkipped"
	Failures                 = "Failures"
	Duration                 = "Duration"
)

// EMF writes Invocations as EMF lines. It is safe for concurrent use.
type EMF struct {
	namespace, service string
	now                func() time.Time

	mu sync.Mutex
	w  io.Writer
}

// NewEMF returns an EMF writer for namespace, with service as the Service
// dimension.
func NewEMF(w io.Writer, namespace, service string) *EMF {
	return &EMF{w: w, namespace: namespace, service: service, now: time.Now}
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

// Record writes the invocation's metrics: one line with the counts, and one
// more with the failure's kind when it failed.
func (e *EMF) Record(inv Invocation) error {
	values := map[string]float64{
		ConnectionsCreated:       float64(inv.ConnectionsCreated),
		ConnectionsReused:        float64(inv.ConnectionsReused),
		SourceConnectionsCreated: float64(inv.SourceConnectionsCreated),
		SourceConnectionsDeleted: float64(inv.SourceConnectionsDeleted),
		ColdStart:                b2f(inv.ColdStart),
		EventsSkipped:            b2f(inv.Skipped),
		Failures:                 b2f(inv.FailureKind != ""),
		Duration:                 float64(inv.Duration.Microseconds()) / 1000,
	}
	names := []string{ColdStart, ConnectionsCreated, ConnectionsReused, SourceConnectionsCreated, SourceConnectionsDeleted, EventsSkipped, Failures, Duration}
	if err := e.write([]string{"Service"}, names, values, nil); err != nil {
		return err
	}
	if inv.FailureKind == "" {
		return nil
	}
	return e.write([]string{"Service", "FailureKind"}, []string{Failures}, map[string]float64{Failures: 1}, map[string]string{"FailureKind": inv.FailureKind})
}

func (e *EMF) write(dims, names []string, values map[string]float64, extra map[string]string) error {
	defs := make([]metricDef, len(names))
	for i, n := range names {
		defs[i] = metricDef{Name: n, Unit: "Count"}
		if n == Duration {
			defs[i].Unit = "Milliseconds"
		}
	}
	doc := map[string]any{
		"_aws": map[string]any{
			"Timestamp":         e.now().UnixMilli(),
			"CloudWatchMetrics": []directive{{Namespace: e.namespace, Dimensions: [][]string{dims}, Metrics: defs}},
		},
		"Service": e.service,
	}
	for k, v := range extra {
		doc[k] = v
	}
	for _, n := range names {
		doc[n] = values[n]
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.w.Write(append(line, '\n'))
	return err
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
