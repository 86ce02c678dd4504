"""`--attr` options of the messaging commands: message attributes as a person types them.

NAME=VALUE          a String attribute
NAME:Number=42      any data type SQS and SNS know: String, Number, Binary (VALUE in
                    base64), with a custom suffix allowed (Number.float)
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import typer

HINT = "--attr"


def parse(pairs: list[str] | None) -> dict[str, dict[str, Any]]:
    """`["a=1", "n:Number=2"]` -> boto3's MessageAttributes."""
    found: dict[str, dict[str, Any]] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        name, _, data_type = key.partition(":")
        if not sep or not name:
            raise typer.BadParameter(
                f"{pair!r} is not NAME=VALUE or NAME:TYPE=VALUE", param_hint=HINT
            )
        data_type = data_type or "String"
        if data_type.split(".", 1)[0] == "Binary":
            try:
                found[name] = {
                    "DataType": data_type,
                    "BinaryValue": base64.b64decode(value, validate=True),
                }
            except binascii.Error:
                raise typer.BadParameter(
                    f"the value of {name!r} is not base64", param_hint=HINT
                ) from None
        else:
            found[name] = {"DataType": data_type, "StringValue": value}
    return found


def shown(attributes: dict[str, Any]) -> dict[str, str]:
    """Received message attributes as text: {name: value} (binary values in base64)."""
    return {
        name: base64.b64encode(a["BinaryValue"]).decode() if "BinaryValue" in a
        else str(a.get("StringValue", ""))
        for name, a in attributes.items()
    }  # fmt: skip
