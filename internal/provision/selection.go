package provision

import (
	"fmt"
	"path"
	"strings"
)

// Selection decides which streams are provisioned: name patterns for every
// request, and stream tags where the request carries them (CloudTrail
// CreateStream records the tags given at creation; reconciliation reads
// them). The zero value selects every stream.
type Selection struct {
	// Include and Exclude are path.Match patterns on stream names; an empty
	// Include means every name.
	Include, Exclude []string
	// OptTag is a tag key whose value opts a stream in ("true") or out
	// ("false"); it beats the name patterns. Empty means no such tag.
	OptTag string
	// RequireOptIn selects, among streams whose tags are known, only those
	// tagged OptTag=true.
	RequireOptIn bool
	// SandboxTag is a tag key whose value picks the stream's sandbox.
	SandboxTag string
}

// Validate checks the patterns.
func (s Selection) Validate() error {
	for _, p := range append(append([]string(nil), s.Include...), s.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("provision: stream pattern %q: %w", p, err)
		}
	}
	if s.RequireOptIn && s.OptTag == "" {
		return fmt.Errorf("provision: requiring an opt-in needs an opt-in tag key")
	}
	return nil
}

// Decision is the outcome of Select.
type Decision struct {
	Selected bool
	// Sandbox is the sandbox the stream's tag picks, if any.
	Sandbox string
	// Reason says why a stream is not selected.
	Reason string
}

// Select decides for one stream. tags is nil when the request carries none.
func (s Selection) Select(stream string, tags map[string]string) Decision {
	var d Decision
	if s.SandboxTag != "" {
		d.Sandbox = strings.TrimSpace(tags[s.SandboxTag])
	}
	if opt, ok := tags[s.OptTag]; ok && s.OptTag != "" {
		switch strings.ToLower(strings.TrimSpace(opt)) {
		case "true", "yes", "1", "on":
			d.Selected = true
			return d
		case "false", "no", "0", "off":
			d.Reason = fmt.Sprintf("stream %s is tagged %s=%s", stream, s.OptTag, opt)
			return d
		}
	}
	if s.RequireOptIn && tags != nil {
		d.Reason = fmt.Sprintf("stream %s is not tagged %s=true, which is required", stream, s.OptTag)
		return d
	}
	for _, p := range s.Exclude {
		if ok, _ := path.Match(p, stream); ok {
			d.Reason = fmt.Sprintf("stream %s matches the exclude pattern %q", stream, p)
			return d
		}
	}
	if len(s.Include) == 0 {
		d.Selected = true
		return d
	}
	for _, p := range s.Include {
		if ok, _ := path.Match(p, stream); ok {
			d.Selected = true
			return d
		}
	}
	d.Reason = fmt.Sprintf("stream %s matches no include pattern (%s)", stream, strings.Join(s.Include, ", "))
	return d
}
