"""The event bus: rules, targets and schedules (EventBridge and EventBridge Scheduler).

Pure pieces so far: `jsonpath.py` (the JSONPath subset EventBridge accepts),
`transform.py` (Input, InputPath, InputTransformer), `cron.py` and `schedules.py` (schedule
expressions and when they fire). Event patterns live in `stratus.patterns`.
"""
