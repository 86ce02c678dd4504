"""A secret as Secrets Manager keeps it, its versions' staging labels, and the checks AWS
makes on names, values and passwords (its limits and its words).

    secret      name, ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf`,
                six random characters so a new secret of an old name is another ARN),
                description, KMS key id (recorded: nothing is encrypted under it), tags,
                dates, rotation settings, resource policy
    version     id (the ClientRequestToken that made it), value (string or binary, sealed
                at rest; none for the AWSPENDING version RotateSecret makes before its
                Lambda's createSecret step), staging labels
    labels      each label is on at most one version; AWSCURRENT on exactly one once the
                secret has a value; moving AWSCURRENT moves AWSPREVIOUS to the version it
                left; a version without labels is deprecated (ListSecretVersionIds hides it
                unless IncludeDeprecated; past 100 versions the oldest go)
"""

from __future__ import annotations

import re
import secrets as random
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from stratus.errors import Conflict, Invalid, NotFound

CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
MAX_NAME = 512
MAX_VALUE_BYTES = 65536  # SecretString and SecretBinary
MAX_VERSIONS = 100  # beyond, the oldest deprecated (unlabelled) versions go
MAX_LABELS = 20  # per version
MAX_TAGS = 50
RECOVERY_DAYS = (7, 30)
DEFAULT_RECOVERY_DAYS = 30
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_NAME = re.compile(r"^[a-zA-Z0-9/_+=.@-]+$")
_SUFFIX = string.ascii_letters + string.digits

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = (
    "You can't perform this operation on the secret because it was marked for deletion."
)


class SecretNotFound(NotFound):
    """ResourceNotFoundException."""


class MarkedForDeletion(Conflict):
    """InvalidRequestException: the secret is scheduled for deletion (or another state that
    refuses the call)."""


class LimitExceeded(Invalid):
    """LimitExceededException."""


class InvalidNextToken(Invalid):
    """InvalidNextTokenException."""


@dataclass
class Secret:
    arn: str
    name: str
    created: float
    changed: float
    description: str | None = None
    kms_key_id: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    accessed: float | None = None  # a day (AWS keeps the date, not the time)
    deleted: float | None = None  # when DeleteSecret was called
    purge_at: float | None = None  # when the deletion takes effect
    rotation_lambda: str | None = None
    rotation_rules: dict[str, Any] | None = None
    rotation_enabled: bool | None = None  # None: never configured
    last_rotated: float | None = None
    policy: str | None = None
    type: str | None = None

    def dump(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Version:
    version_id: str
    created: float
    stages: list[str]
    sealed: str | None  # None: a version without a value yet (rotation's AWSPENDING)
    binary: bool = False
    accessed: float | None = None


def check_name(name: str) -> None:
    if not 0 < len(name) <= MAX_NAME or not _NAME.match(name):
        raise Invalid(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of "
            "the following: -/_+=.@!"
        )


def check_value(value: str | bytes | None, binary: bytes | None) -> None:
    if value is not None and binary is not None:
        raise Invalid(
            "You can't specify both a binary secret value and a string secret value in the "
            "same secret."
        )
    size = len(value.encode() if isinstance(value, str) else value or binary or b"")
    if size > MAX_VALUE_BYTES:
        raise Invalid(
            f"The secret value is {size} bytes; a SecretString or SecretBinary can be at most "
            f"{MAX_VALUE_BYTES} bytes."
        )


def check_tags(tags: list[dict[str, str]]) -> None:
    if len(tags) > MAX_TAGS:
        raise Invalid(f"A secret can have at most {MAX_TAGS} tags; the request has {len(tags)}.")
    for tag in tags:
        key = tag.get("Key", "")
        if key.lower().startswith("aws:"):
            raise Invalid("The tag key prefix 'aws:' is reserved for AWS use.")


def arn(region: str, account_id: str, name: str) -> str:
    suffix = "".join(random.choice(_SUFFIX) for _ in range(6))
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{name}-{suffix}"


def name_of_arn(secret_id: str) -> str | None:
    """The name a full or partial ARN ends in (None: not a Secrets Manager ARN)."""
    if not secret_id.startswith("arn:"):
        return None
    parts = secret_id.split(":", 6)
    if len(parts) < 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
        return None
    return parts[6]


def random_password(
    length: int = 32,
    *,
    exclude_characters: str = "",
    exclude_numbers: bool = False,
    exclude_punctuation: bool = False,
    exclude_uppercase: bool = False,
    exclude_lowercase: bool = False,
    include_space: bool = False,
    require_each_included_type: bool = True,
) -> str:
    """GetRandomPassword: `length` characters drawn (secrets.choice) from the kinds not
    excluded, less `exclude_characters`; with `require_each_included_type`, at least one of
    each kind left."""
    kinds = [
        chars
        for chars, excluded in (
            (string.ascii_lowercase, exclude_lowercase),
            (string.ascii_uppercase, exclude_uppercase),
            (string.digits, exclude_numbers),
            (PUNCTUATION, exclude_punctuation),
            (" ", not include_space),
        )
        if not excluded
    ]
    kinds = [k for k in ("".join(c for c in k if c not in exclude_characters) for k in kinds) if k]
    if not kinds:
        raise Invalid(
            "The password can't be generated: every kind of character is excluded. Allow at "
            "least one of lowercase, uppercase, numbers, punctuation or space."
        )
    if not 1 <= length <= 4096:
        raise Invalid("PasswordLength must be between 1 and 4096.")
    if require_each_included_type and length < len(kinds):
        raise Invalid(
            f"A password of {length} characters can't include each of the {len(kinds)} kinds "
            "of character required; raise PasswordLength or set RequireEachIncludedType to "
            "false."
        )
    pool = "".join(kinds)
    chosen = [random.choice(k) for k in kinds] if require_each_included_type else []
    chosen += [random.choice(pool) for _ in range(length - len(chosen))]
    random.SystemRandom().shuffle(chosen)
    return "".join(chosen)


# GetRandomPassword's members (and GenerateSecretString's properties) -> random_password's
PASSWORD_OPTIONS = {
    "PasswordLength": "length",
    "ExcludeCharacters": "exclude_characters",
    "ExcludeNumbers": "exclude_numbers",
    "ExcludePunctuation": "exclude_punctuation",
    "ExcludeUppercase": "exclude_uppercase",
    "ExcludeLowercase": "exclude_lowercase",
    "IncludeSpace": "include_space",
    "RequireEachIncludedType": "require_each_included_type",
}


def password_for(options: Mapping[str, Any]) -> str:
    """A random password from options named as AWS names them (others are ignored)."""
    return random_password(
        **{PASSWORD_OPTIONS[k]: v for k, v in options.items() if k in PASSWORD_OPTIONS}
    )
