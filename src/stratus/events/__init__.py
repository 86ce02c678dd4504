"""The event bus (EventBridge): buses, rules, targets, scheduled rules, archives and replays.

`service.py` (buses, rules, targets, PutEvents, deliveries, scheduled rules), `archives.py`
(archives and replays), `store.py` (their tables), `model.py` (records and limits), and the
pure `transform.py` (Input, InputPath, InputTransformer) and `jsonpath.py`. Schedule
expressions live in `stratus.timing`, shared with EventBridge Scheduler (`stratus.schedules`);
event patterns in `stratus.patterns`.
"""
