"""The SAM transform (AWS::Serverless-2016-10-31), run offline with the official translator.

samtranslator would otherwise reach AWS in three places; each is cut here:
- the region, from a boto3 session: we hand it an object that only knows our region;
- managed policy names it does not bundle, from IAM ListPolicies: every name answers
  `arn:<partition>:iam::aws:policy/<Name>`;
- AWS::Serverless::Application from the Serverless Application Repository: refused up front
  (a `Location` that is a template file becomes a nested stack and needs no call).

samtranslator is slow to import (~0.5 s), so it is imported on first use. Its region lives in a
class attribute (ArnGenerator.BOTO_SESSION_REGION_NAME): one region per process, as Stratus
serves one.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus.errors import Invalid

from .parameters import pseudo_parameters

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FAILED = f"Transform {SAM_TRANSFORM} failed with: "

log = logging.getLogger("stratus.templates")


def transforms(template: Mapping[str, Any]) -> list[Any]:
    declared = template.get("Transform")
    if declared is None:
        return []
    return declared if isinstance(declared, list) else [declared]


def expand(
    template: dict[str, Any],
    parameter_values: Mapping[str, Any],
    *,
    region: str,
    account_id: str,
    stack_name: str,
) -> dict[str, Any]:
    """The template in plain CloudFormation; templates without the SAM transform unchanged."""
    names = transforms(template)
    unsupported = [str(n) for n in names if n not in (SAM_TRANSFORM, LANGUAGE_EXTENSIONS)]
    if unsupported:
        raise Invalid(
            f"Template format error: Stratus does not run transform(s) [{', '.join(unsupported)}]; "
            f"it expands {SAM_TRANSFORM} and AWS::Include (macros are not supported)"
        )
    if SAM_TRANSFORM not in names:
        return template
    _refuse_repository_applications(template)
    pseudo = pseudo_parameters(
        region=region, account_id=account_id, stack_name=stack_name, stack_id=""
    )
    values = {**parameter_values, "AWS::Region": region, "AWS::Partition": pseudo["AWS::Partition"]}
    return _translate(copy.deepcopy(template), values, region, pseudo["AWS::Partition"])


def _refuse_repository_applications(template: Mapping[str, Any]) -> None:
    for logical_id, resource in (template.get("Resources") or {}).items():
        if (
            not isinstance(resource, Mapping)
            or resource.get("Type") != "AWS::Serverless::Application"
        ):
            continue
        location = (resource.get("Properties") or {}).get("Location")
        if isinstance(location, Mapping) and "ApplicationId" in location:
            raise Invalid(
                f"{_FAILED}Resource with id [{logical_id}] is invalid. Stratus cannot fetch "
                "applications from the Serverless Application Repository; set Location to the "
                "application's template file instead"
            )


@dataclass(frozen=True)
class _Session:
    """What samtranslator reads from its boto3 session: the region, nothing else."""

    region_name: str


class _AnyManagedPolicy(dict[str, str]):
    """IAM's managed-policy map without asking IAM: any name is an AWS managed policy."""

    def __init__(self, partition: str) -> None:
        super().__init__()
        self._partition = partition

    def get(self, name: str, default: Any = None) -> str:  # type: ignore[override]
        return f"arn:{self._partition}:iam::aws:policy/{name}"

    def __bool__(self) -> bool:  # samtranslator skips an empty (falsy) map
        return True


def _no_repository() -> Any:
    raise Invalid(f"{_FAILED}Stratus cannot reach the Serverless Application Repository")


def _translate(
    template: dict[str, Any], values: dict[str, Any], region: str, partition: str
) -> dict[str, Any]:
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    managed = _AnyManagedPolicy(partition)
    plugin = ServerlessAppPlugin(parameters=values, sar_client_creator=_no_repository)
    # Metrics pile up in memory until published; ours go nowhere (the dummy publisher).
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    session: Any = _Session(region)
    translator = Translator(None, Parser(), plugins=[plugin], boto_session=session, metrics=metrics)
    # As samtranslator's own transform(): logical ids it hashes then match the ones AWS makes.
    to_py27_compatible_template(template, values)
    try:
        translated = translator.translate(template, values, get_managed_policy_map=lambda: managed)
    except InvalidDocumentException as exc:
        causes = " ".join(cause.message for cause in exc.causes)
        raise Invalid(f"{_FAILED}{exc.message} {causes}") from exc
    except Invalid:
        raise
    except Exception as exc:  # samtranslator's bugs surface as anything; AWS says "internal"
        log.warning("SAM transform failed", exc_info=True)
        raise Invalid(
            f"{_FAILED}Internal transform failure. ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        metrics.publish()
    return undo_mark_unicode_str_in_template(translated)
