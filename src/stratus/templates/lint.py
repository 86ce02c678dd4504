"""cfn-lint's errors (E rules) on an expanded template, as one line each:

    [E3012] Resources/Fn/Properties/MemorySize: 'abc' is not of type 'integer'

Warnings and informational rules are left out: they do not stop a deployment on AWS either.
cfn-lint takes ~1 s to import and load its rules, so that happens once, on first use, under a
lock (lint runs in worker threads). Measured on a small SAM app: first call 0.8 s, then
45-55 ms per lint.

Some errors misfire on templates Stratus accepts and are filtered (see `_IGNORED`).

Answers are remembered for the last few templates, compared with the keys of this server's
artifacts left out: a `stratus up` save changes only a function's S3Key (the sha256 of its
new zip), which no E rule looks at, and linting again cost 50-150 ms of each reload.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from stratus.store.artifacts import ARTIFACTS_BUCKET

# Rules that are right on AWS and wrong for Stratus. No E rule misfires on
# s3://stratus-artifacts code locations (SAM has split them into S3Bucket/S3Key by now).
# - E2531 (a runtime whose creation AWS has disabled) depends on today's date, so a template
#   that deployed yesterday would fail today; Stratus runs the runtimes it has, and the
#   functions service already refuses the ones it has not.
_IGNORED = frozenset({"E2531"})
_REGIONS = ["us-east-1"]

_lock = threading.Lock()
_linter: _Linter | None = None
_REMEMBERED = 32  # templates whose problems are kept
_answers: OrderedDict[str, list[str]] = OrderedDict()
_ARTIFACT_KEY = "0" * 64


class _Linter:
    def __init__(self) -> None:
        from cfnlint.config import ConfigMixIn
        from cfnlint.decode.cfn_json import loads
        from cfnlint.runner import Runner, run_template_by_data

        # ManualArgs take precedence over .cfnlintrc files; no command line is parsed.
        self._config = ConfigMixIn([], regions=_REGIONS)
        self._rules = Runner(self._config).rules
        self._loads = loads
        self._run = run_template_by_data

    def run(self, template: dict[str, Any]) -> list[Any]:
        # Through JSON so that cfn-lint gets its own marked nodes, as from a file.
        marked = self._loads(json.dumps(template))
        return list(self._run(marked, self._config, self._rules))


def _matches(template: dict[str, Any]) -> list[Any]:
    global _linter
    # One lint at a time: cfn-lint keeps module-level caches that are not made for threads.
    with _lock:
        if _linter is None:
            _linter = _Linter()
        return _linter.run(template)


def lint(template: dict[str, Any]) -> list[str]:
    """The E-rule problems of a (transformed) template, one "[E1234] Path: message" per line."""
    key = hashlib.sha256(
        json.dumps(_without_artifact_keys(template), sort_keys=True, default=str).encode()
    ).hexdigest()
    with _lock:
        if key in _answers:
            _answers.move_to_end(key)
            return list(_answers[key])
    problems = []
    for match in _matches(template):
        rule_id = match.rule.id
        if not rule_id.startswith("E") or rule_id in _IGNORED:
            continue
        path = "/".join(str(p) for p in getattr(match, "path", None) or ())
        problems.append(
            f"[{rule_id}] {path}: {match.message}" if path else f"[{rule_id}] {match.message}"
        )
    with _lock:
        _answers[key] = problems
        while len(_answers) > _REMEMBERED:
            _answers.popitem(last=False)
    return list(problems)


def _without_artifact_keys(value: Any) -> Any:
    """`value` with the keys of objects in the artifacts bucket replaced by one constant."""
    if isinstance(value, dict):
        copied = {k: _without_artifact_keys(v) for k, v in value.items()}
        for bucket, key in (("S3Bucket", "S3Key"), ("Bucket", "Key")):
            if copied.get(bucket) == ARTIFACTS_BUCKET and isinstance(copied.get(key), str):
                copied[key] = _ARTIFACT_KEY
        return copied
    if isinstance(value, list):
        return [_without_artifact_keys(v) for v in value]
    if isinstance(value, str) and value.startswith(f"s3://{ARTIFACTS_BUCKET}/"):
        return f"s3://{ARTIFACTS_BUCKET}/{_ARTIFACT_KEY}"
    return value
