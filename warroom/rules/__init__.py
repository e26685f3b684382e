"""The comms rules: pure checks of a draft against the comms policy.

    from warroom.rules import Context, DraftDoc, default_policy, lint
    findings = lint(DraftDoc(channel="email", subject="Hi"), default_policy(), Context())

Rule ids (`RULES`) are a public contract; see `warroom.rules.lint`.
"""

from __future__ import annotations

from warroom.rules.addresses import is_internal, parse_address, parse_addresses
from warroom.rules.lint import (
    CHECKS,
    RULES,
    DraftFileError,
    RuleInfo,
    has_errors,
    lint,
    read_draft_file,
)
from warroom.rules.model import (
    CHANNELS,
    ERROR,
    WARNING,
    Context,
    DraftDoc,
    Finding,
    KeyLookup,
    KeyStatus,
)
from warroom.rules.policy import (
    Policy,
    PolicyError,
    Vendor,
    default_policy,
    load_policy_file,
    parse_policy,
)

__all__ = [
    "CHANNELS",
    "CHECKS",
    "ERROR",
    "RULES",
    "WARNING",
    "Context",
    "DraftDoc",
    "DraftFileError",
    "Finding",
    "KeyLookup",
    "KeyStatus",
    "Policy",
    "PolicyError",
    "RuleInfo",
    "Vendor",
    "default_policy",
    "has_errors",
    "is_internal",
    "lint",
    "load_policy_file",
    "parse_address",
    "parse_addresses",
    "parse_policy",
    "read_draft_file",
]
