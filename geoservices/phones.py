"""Registry phone numbers turned into numbers a mobile can dial from anywhere in Peru.

The MINSA registry lists Lima and Callao landlines without their area code 1,
other landlines with the trunk 0 (``041-477044``) and sometimes several
numbers in one field. The family results list, the referral slip and its
PDF all show the numbers this module returns.
"""
from __future__ import annotations

import re

#: Separators between several numbers in one registry field: "/", ",", ";", " - ", the word "y", and
#: a hyphen between two runs of at least 6 digits ("4819920 -3820328"). No single Peruvian number has
#: 6 digits on both sides of a hyphen, while "063- 811357" and "388-2503" are one number each.
_SEPARATORS = re.compile(r"[/,;]| - |\by\b|(?<=\d{6})\s*-\s*(?=\d{6})")
_NON_DIGITS = re.compile(r"\D")

#: Department ubigeos whose landlines use area code 1: Lima (15) and Callao (07).
LIMA_AREA_DEPARTMENTS = ("15", "07")

#: Parts with fewer digits than this are extensions or notes, not numbers.
MIN_NUMBER_DIGITS = 6


def split_numbers(text: str | None) -> list[str]:
    """Return the phone numbers of a registry field, as written there."""
    parts = (part.strip() for part in _SEPARATORS.split(text or ""))
    return [part for part in parts if len(_NON_DIGITS.sub("", part)) >= MIN_NUMBER_DIGITS]


def dial_number(number: str, ubigeo: str | None) -> str:
    """Return ``number`` in +51 form when its kind is known, otherwise its digits.

    ``ubigeo`` is the facility's district (or department) ubigeo. It decides
    whether a 7-digit landline needs Lima's area code.
    """
    digits = _NON_DIGITS.sub("", number)
    in_lima_area = (ubigeo or "").startswith(LIMA_AREA_DEPARTMENTS)
    if len(digits) == 7 and in_lima_area:
        return "+511" + digits
    if len(digits) == 8 and digits.startswith("1") and in_lima_area:
        return "+51" + digits  # A Lima landline written with its area code 1 but without the trunk 0.
    if len(digits) == 9 and digits.startswith("9"):
        return "+51" + digits  # Mobile numbers have 9 digits and start with 9.
    if len(digits) in (8, 9) and digits.startswith("0"):
        return "+51" + digits[1:]  # The trunk 0 is dropped after the country code.
    return digits


def phone_links(text: str | None, ubigeo: str | None) -> list[dict[str, str]]:
    """Return each number of a registry field with the number to put in its ``tel:`` link."""
    return [{"number": number, "dial": dial_number(number, ubigeo)} for number in split_numbers(text)]
