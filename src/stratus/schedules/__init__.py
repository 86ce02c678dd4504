"""EventBridge Scheduler: schedule groups and schedules (model, store, service), invoking
their targets through the one-method seam in `targets.py`. Fire times come from
`stratus.timing`, which the event bus's scheduled rules share."""
