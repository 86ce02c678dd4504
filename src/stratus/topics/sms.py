"""SNS's SMS account state, kept as AWS keeps it, with nothing sent off the machine:

- SMS attributes (SetSMSAttributes / GetSMSAttributes): stored, AWS's names checked.
- Opt-outs: a number is opted out on AWS when its owner replies STOP; no one can reply to
  Stratus, so no number is ever opted out (CheckIfPhoneNumberIsOptedOut answers false,
  ListPhoneNumbersOptedOut nothing) and OptInPhoneNumber only checks its number.
- The SMS sandbox: the account is out of it (GetSMSSandboxAccountStatus: false), as an
  account with production access, so Publish to any number works; sandbox numbers can still
  be added and verified: CreateSMSSandboxPhoneNumber writes the one-time password to the
  outbox (outbox.py) where VerifySMSSandboxPhoneNumber's caller reads it.
- Publish to a PhoneNumber and SMS subscriptions write the message to the outbox.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Mapping, Sequence

from stratus.errors import Invalid, NotFound

from .errors import InvalidParameter

PHONE = re.compile(r"\+?[1-9]\d{1,14}")  # E.164
SMS_ATTRIBUTES = frozenset(
    {
        "MonthlySpendLimit",
        "DeliveryStatusIAMRole",
        "DeliveryStatusSuccessSamplingRate",
        "DefaultSenderID",
        "DefaultSMSType",
        "UsageReportS3Bucket",
    }
)
SMS_TYPES = ("Promotional", "Transactional")
MAX_SANDBOX_NUMBERS = 10  # AWS's quota of sandbox destination numbers
MAX_SMS_BYTES = 1600  # AWS's limit on one SMS message (up to 10 parts)


class VerificationFailed(Invalid):
    """VerifySMSSandboxPhoneNumber with the wrong one-time password."""


class SandboxNumberNotFound(NotFound):
    pass


class SandboxQuotaReached(Invalid):
    """UserError: more sandbox numbers than the account may have."""


def check_phone(number: str, parameter: str = "PhoneNumber") -> str:
    if not PHONE.fullmatch(number or ""):
        raise InvalidParameter(
            f"{parameter} Reason: {number!r} is not a phone number in E.164 format "
            "(e.g. +15555550100)"
        )
    return number if number.startswith("+") else f"+{number}"


def check_sms_attributes(given: Mapping[str, str]) -> None:
    for name, value in given.items():
        if name not in SMS_ATTRIBUTES:
            raise InvalidParameter(f"{name} Reason: not an SMS attribute")
        if name == "DefaultSMSType" and value not in SMS_TYPES:
            raise InvalidParameter(f"DefaultSMSType Reason: must be {' or '.join(SMS_TYPES)}")
        if name == "DeliveryStatusSuccessSamplingRate" and not (
            value.isdigit() and 0 <= int(value) <= 100
        ):
            raise InvalidParameter(
                "DeliveryStatusSuccessSamplingRate Reason: must be an integer from 0 to 100"
            )


def check_message(message: str) -> None:
    if len(message.encode()) > MAX_SMS_BYTES:
        raise InvalidParameter(f"Message too long: an SMS message is at most {MAX_SMS_BYTES} bytes")


# ---- SQL (the caller's transaction) ---------------------------------------------------------


def get_attributes(conn: sqlite3.Connection, names: Sequence[str]) -> dict[str, str]:
    rows = conn.execute("SELECT name, value FROM topic_sms_attributes").fetchall()
    found = {row[0]: row[1] for row in rows}
    return {k: v for k, v in found.items() if not names or k in names}


def set_attributes(conn: sqlite3.Connection, given: Mapping[str, str]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO topic_sms_attributes VALUES (?, ?)", list(given.items())
    )


def add_sandbox_number(conn: sqlite3.Connection, number: str, language: str) -> str:
    """A Pending sandbox number and its new one-time password."""
    known = conn.execute("SELECT count(*) FROM topic_sms_sandbox").fetchone()[0]
    exists = conn.execute("SELECT 1 FROM topic_sms_sandbox WHERE phone = ?", (number,))
    if exists.fetchone() is None and known >= MAX_SANDBOX_NUMBERS:
        raise SandboxQuotaReached(
            f"The account has {MAX_SANDBOX_NUMBERS} sandbox destination phone numbers already; "
            "delete one with DeleteSMSSandboxPhoneNumber."
        )
    password = f"{secrets.randbelow(10**6):06d}"
    conn.execute(
        "INSERT OR REPLACE INTO topic_sms_sandbox VALUES (?, 'Pending', ?, ?)",
        (number, password, language),
    )
    return password


def verify_sandbox_number(conn: sqlite3.Connection, number: str, password: str) -> None:
    row = conn.execute("SELECT otp FROM topic_sms_sandbox WHERE phone = ?", (number,)).fetchone()
    if row is None:
        raise SandboxNumberNotFound(f"{number} is not a sandbox destination phone number")
    if row[0] != password:
        raise VerificationFailed("Invalid one-time password")
    conn.execute("UPDATE topic_sms_sandbox SET status = 'Verified' WHERE phone = ?", (number,))


def delete_sandbox_number(conn: sqlite3.Connection, number: str) -> None:
    gone = conn.execute("DELETE FROM topic_sms_sandbox WHERE phone = ? RETURNING 1", (number,))
    if gone.fetchone() is None:
        raise SandboxNumberNotFound(f"{number} is not a sandbox destination phone number")


def sandbox_numbers(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT phone, status FROM topic_sms_sandbox ORDER BY phone")
    return [(row[0], row[1]) for row in rows]
