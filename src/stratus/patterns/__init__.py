"""The event-pattern language EventBridge, SNS and Lambda share: pure, no I/O.

It sits below the services layer because three services stand on it and none may import
another: the event bus (rules, TestEventPattern), topics (filter policies) and event source
mappings (filter criteria).

    compiler.py         JSON -> Rule, with AWS's reasons for refusing a pattern
    rule.py             Rule and how it matches a document (arrays, nesting, $or)
    matchers.py         one comparison per operator
    wildcard.py         wildcard values
    eventbridge.py      EventBridge's dialect and errors
    filter_policy.py    SNS's dialect, scopes, limits and errors
    filter_criteria.py  Lambda's view of SQS / Kinesis / DynamoDB records
"""
