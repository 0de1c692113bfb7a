package benchrun

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// removeRules deletes every rule (and its targets) of bus. The stack's
// event sink is such a rule, whose target is an SQS queue: moto delivers to
// it synchronously inside PutEvents, which then takes 100-400 ms instead of
// moto's usual few; EventBridge delivers asynchronously and answers
// PutEvents without waiting for targets. The benchmark reads no events, so
// it removes the rule rather than measure moto's delivery.
func removeRules(ctx context.Context, cfg aws.Config, bus string) error {
	eb := eventbridge.NewFromConfig(cfg)
	rules, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(bus)})
	if err != nil {
		return fmt.Errorf("benchrun: list the rules of bus %q: %w", bus, err)
	}
	for _, r := range rules.Rules {
		targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name, EventBusName: aws.String(bus)})
		if err != nil {
			return fmt.Errorf("benchrun: list the targets of rule %q: %w", aws.ToString(r.Name), err)
		}
		var ids []string
		for _, t := range targets.Targets {
			ids = append(ids, aws.ToString(t.Id))
		}
		if len(ids) > 0 {
			if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: r.Name, EventBusName: aws.String(bus), Ids: ids}); err != nil {
				return fmt.Errorf("benchrun: remove the targets of rule %q: %w", aws.ToString(r.Name), err)
			}
		}
		if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: r.Name, EventBusName: aws.String(bus)}); err != nil {
			return fmt.Errorf("benchrun: delete rule %q: %w", aws.ToString(r.Name), err)
		}
	}
	return nil
}
