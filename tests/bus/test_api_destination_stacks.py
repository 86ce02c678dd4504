"""AWS::Events::Connection and AWS::Events::ApiDestination in a stack (the "EventBridge to
a webhook" apps): made, targeted by the stack's rule, updated in place, deleted with it."""

from __future__ import annotations

import json
from typing import Any

from tests.bus.test_archives import events
from tests.templates.test_stacks import create, outputs, template, wait
from tests.topics.conftest import endpoint

__all__ = ["endpoint", "events"]


def _webhook(url: str, team: str) -> str:
    return template(
        f"""
        Resources:
          Connection:
            Type: AWS::Events::Connection
            Properties:
              AuthorizationType: API_KEY
              AuthParameters:
                ApiKeyAuthParameters: {{ApiKeyName: x-api-key, ApiKeyValue: s3cr3t}}
                InvocationHttpParameters:
                  HeaderParameters: [{{Key: x-team, Value: {team}}}]
          Hook:
            Type: AWS::Events::ApiDestination
            Properties:
              ConnectionArn: !GetAtt Connection.Arn
              InvocationEndpoint: {url}
              HttpMethod: POST
              InvocationRateLimitPerSecond: 10
          Rule:
            Type: AWS::Events::Rule
            Properties:
              EventPattern: {{source: [webhook.test]}}
              Targets:
                - Id: hook
                  Arn: !GetAtt Hook.Arn
                  RoleArn: arn:aws:iam::000000000000:role/events
        Outputs:
          Connection: {{Value: !Ref Connection}}
          ConnectionArn: {{Value: !GetAtt Connection.Arn}}
          SecretArn: {{Value: !GetAtt Connection.SecretArn}}
          Hook: {{Value: !Ref Hook}}
          HookForPolicy: {{Value: !GetAtt Hook.ArnForPolicy}}
        """
    )


def test_a_stacks_rule_sends_events_to_its_api_destination(
    server: Any, events: Any, endpoint: Any
) -> None:
    cfn = server.client("cloudformation")
    name = create(cfn, _webhook(endpoint.url, "orders"))
    made = outputs(cfn, name)
    entry = {"Source": "webhook.test", "DetailType": "t", "Detail": json.dumps({"n": 1})}
    events.put_events(Entries=[entry])
    first_headers, first = endpoint.next()
    cfn.update_stack(StackName=name, TemplateBody=_webhook(endpoint.url, "billing"))
    wait(cfn, name, "stack_update_complete")
    events.put_events(Entries=[entry | {"Detail": json.dumps({"n": 2})}])
    second_headers, _ = endpoint.next()
    updated = outputs(cfn, name)
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    assert made["ConnectionArn"].startswith(
        f"arn:aws:events:us-east-1:000000000000:connection/{made['Connection']}/"
    )
    assert made["SecretArn"].startswith("arn:aws:secretsmanager:")
    assert made["HookForPolicy"].endswith(f":api-destination/{made['Hook']}")
    assert (first_headers["x-api-key"], first_headers["x-team"]) == ("s3cr3t", "orders")
    assert first["detail"] == {"n": 1}
    assert second_headers["x-team"] == "billing"
    assert updated["ConnectionArn"] == made["ConnectionArn"]  # in place, not replaced
    assert events.list_connections(NamePrefix=made["Connection"])["Connections"] == []
    assert events.list_api_destinations(NamePrefix=made["Hook"])["ApiDestinations"] == []
