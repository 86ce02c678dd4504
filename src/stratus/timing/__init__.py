"""When things fire: AWS's schedule expressions (rate, cron, at) and the pure arithmetic of
their fire times. Below the services, since the event bus's scheduled rules and EventBridge
Scheduler's schedules (siblings, which may not import each other) both speak it."""
