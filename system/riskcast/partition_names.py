"""The one strict check RiskCast applies to a partition name that came from outside.

WHY its own check, before the ledger reader sees the name: the name becomes a directory path, and
a pattern anchored with `$` also matches before a final newline ("2026-03-01\n"). `re.fullmatch`
with ASCII digit classes matches the whole string or nothing, and the date must exist.
"""
from __future__ import annotations

import re
from datetime import date

from riskcast.ingest import LATE_SUFFIX

_PARTITION_PATTERN = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(" + re.escape(LATE_SUFFIX) + r")?")
PARTITION_NAME_BYTES_MAX = 32


class BadPartitionName(ValueError):
    """A partition name that is not YYYY-MM-DD or YYYY-MM-DD-late (a real date), matched whole."""


def require_partition_name(name: str) -> str:
    """`name` unchanged if it is exactly a partition name; BadPartitionName otherwise."""
    if len(name) > PARTITION_NAME_BYTES_MAX:
        raise BadPartitionName(f"partition name of {len(name)} characters is too long")
    match = _PARTITION_PATTERN.fullmatch(name)
    if match is None:
        raise BadPartitionName("not a partition name")
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        raise BadPartitionName(f"{match.group(1)!r} is not a calendar date") from None
    return name
