"""Staging labels, as Secrets Manager moves them (pure: no I/O).

attach     a label goes on one version and off every other; AWSCURRENT leaving a
           version leaves AWSPREVIOUS there (taken from wherever it was)
chosen     the version GetSecretValue reads: by VersionId (and, if named, a stage it
           must carry), else by stage (AWSCURRENT by default), with a value
unfinished the version of a rotation not yet finished: AWSPENDING without AWSCURRENT
"""

from __future__ import annotations

from .model import CURRENT, MAX_LABELS, PENDING, PREVIOUS, LimitExceeded, SecretNotFound, Version


def attach(versions: list[Version], target: Version, label: str) -> None:
    """Put `label` on `target`, off every other version; AWSCURRENT leaving a version leaves
    AWSPREVIOUS on it."""
    if label in target.stages:
        return
    if len(target.stages) >= MAX_LABELS:
        raise LimitExceeded(
            f"A version can have at most {MAX_LABELS} staging labels; {target.version_id} has "
            f"{len(target.stages)}."
        )
    for other in versions:
        if other is not target and label in other.stages:
            other.stages.remove(label)
            if label == CURRENT:
                for v in versions:
                    if PREVIOUS in v.stages:
                        v.stages.remove(PREVIOUS)
                other.stages.append(PREVIOUS)
    target.stages.append(label)


def chosen(versions: list[Version], version_id: str | None, stage: str | None) -> Version:
    if version_id is not None:
        found = next((v for v in versions if v.version_id == version_id), None)
        if found is None or (stage is not None and stage not in found.stages):
            raise SecretNotFound(
                f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
            )
        return found
    label = stage or CURRENT
    found = next((v for v in versions if label in v.stages and v.sealed is not None), None)
    if found is None:
        raise SecretNotFound(
            f"Secrets Manager can't find the specified secret value for staging label: {label}"
        )
    return found


def unfinished(versions: list[Version]) -> Version | None:
    """The version of a rotation that has not finished (AWSPENDING, not AWSCURRENT)."""
    return next((v for v in versions if PENDING in v.stages and CURRENT not in v.stages), None)
