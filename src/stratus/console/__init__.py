"""The console: pages the server serves to people under /_stratus/ (no AWS API here).

    /_stratus/workflows                      state machines, with links
    /_stratus/workflows/<name or ARN>        a machine drawn from its definition, its executions
    /_stratus/executions/<execution ARN>     the machine, coloured live by the execution's history

Pure pieces (`graph`: the layout; `trace`: what the history says each state did; `svg`:
drawing) are tested with tables; `workflow_pages` serves them; the page's own script
(`static/workflow.js`) only polls and colours. Nothing is fetched from the network.
"""
