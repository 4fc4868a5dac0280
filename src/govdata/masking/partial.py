"""Partial masks and generalisations of single values.

Partial masks hide the middle of a value and keep what identifies no one on its
own: the division and check character of an ID number (``110105********002X``),
the network segment and last four digits of a mobile (``138****5678``), the
surname of a name (``欧阳**``), the first letter and the domain of an e-mail
(``z***@example.cn``), the divisions of an address down to the county. A value
too short to keep anything is masked whole: a mask never reveals more than the
rule meant.
"""

from __future__ import annotations

from enum import StrEnum

from govdata.masking.address import LEVEL_RANK, split_divisions
from govdata.masking.kinds import SensitiveKind
from govdata.masking.surnames import surname_length
from govdata.masking.values import parse_date
from govdata.orgs.codes import DivisionLevel

# (keep_prefix, keep_suffix) for the kinds masked by position.
DEFAULT_KEEP: dict[SensitiveKind, tuple[int, int]] = {
    SensitiveKind.ID_NUMBER: (6, 4),  # division; last 3 sequence digits hide in the mask
    SensitiveKind.MOBILE: (3, 4),
    SensitiveKind.LANDLINE: (4, 2),
    SensitiveKind.BANK_CARD: (6, 4),  # issuer (BIN) and last four, as on receipts
    SensitiveKind.CREDIT_CODE: (8, 1),  # authority, category, division; check char
    SensitiveKind.DATE: (4, 0),  # the year
}
# A masked e-mail or address shows this many mask characters, whatever was hidden.
FIXED_MASK_LENGTH = 3
ADDRESS_KEEP_LEVEL = DivisionLevel.COUNTY
ADDRESS_MASK_LENGTH = 4


class DateLevel(StrEnum):
    """How far a date is generalised."""

    YEAR = "year"
    MONTH = "month"


def mask_middle(value: str, keep_prefix: int, keep_suffix: int, mask_char: str = "*") -> str:
    """Keep ``keep_prefix`` and ``keep_suffix`` characters, mask the ones between.

    When the value has no character between the kept ends, all of it is masked.
    """
    length = len(value)
    if length <= keep_prefix + keep_suffix:
        return mask_char * length
    hidden = length - keep_prefix - keep_suffix
    return value[:keep_prefix] + mask_char * hidden + value[length - keep_suffix :]


def mask_name(value: str, mask_char: str = "*") -> str:
    """Keep the surname (compound surnames whole), mask each given-name character."""
    keep = min(surname_length(value), max(len(value) - 1, 0))
    return value[:keep] + mask_char * (len(value) - keep)


def mask_email(value: str, mask_char: str = "*") -> str:
    """Keep the first character and everything from the first ``@``."""
    at = value.find("@")
    if at <= 0:
        return mask_char * len(value)
    return value[0] + mask_char * FIXED_MASK_LENGTH + value[at:]


def mask_address(value: str, mask_char: str = "*") -> str:
    """Keep the divisions down to the county, then a fixed run of mask characters."""
    parts, rest = split_divisions(value)
    kept = [p.text for p in parts if LEVEL_RANK[p.level] <= LEVEL_RANK[ADDRESS_KEEP_LEVEL]]
    hidden = len(kept) < len(parts) or bool(rest) or not kept
    return "".join(kept) + (mask_char * ADDRESS_MASK_LENGTH if hidden else "")


def generalize_date(value: str, level: DateLevel) -> str | None:
    """``2024-03-05`` → ``2024`` (year) or ``2024-03`` (month); None if not a date."""
    day = parse_date(value)
    if day is None:
        return None
    if level is DateLevel.YEAR:
        return f"{day.year:04d}"
    return f"{day.year:04d}-{day.month:02d}"
