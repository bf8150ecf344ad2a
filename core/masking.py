"""Masking of personal data (SPEC §8): names, phone numbers and ID numbers of reporters, callers
and residents are shown masked unless the user's role may see personal data (`can(user,
"view_personal_data")`: duty officers and admins).

Masking happens on the server, before a value reaches a callback's output or an export, so
the unmasked value never travels to a browser that may not show it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from core.auth import User, can

_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_phone(value: str | None) -> str | None:
    """138****5678: first 3 and last 4 digits of a mobile or a landline with area code."""
    if not value:
        return value
    text = "".join(str(value).split())
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) >= 4:  # a short local number: too few digits to keep the head as well
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


def mask_id_number(value: str | None) -> str | None:
    """340***********1234: first 3 and last 4 characters of a resident ID number."""
    if not value:
        return value
    text = str(value).strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_name(value: str | None) -> str | None:
    """张** / 张*: the family name (first character) only."""
    if not value:
        return value
    text = str(value).strip()
    return text[:1] + "*" * (len(text) - 1) if len(text) > 1 else "*"


def mask_text(value: str | None) -> str | None:
    """Free text (an incident summary, an address) with mobile and ID numbers in it masked."""
    if not value:
        return value
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), str(value))
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


# Which fields hold personal data, by column name, for every table and export.
_NAME_FIELDS = {"reporter_name", "caller_name", "contact_name", "person_name", "resident_name", "elder_name"}
_PHONE_FIELDS = {"phone", "mobile", "reporter_phone", "caller_phone", "contact_phone"}
_ID_FIELDS = {"id_number", "id_card", "resident_id_number"}
_TEXT_FIELDS = {"summary", "address", "description", "content", "remark", "note"}


def _masker_for(field: str) -> Callable[[str | None], str | None] | None:
    """The masking function for a column name, or None when the column holds no personal data."""
    if field in _NAME_FIELDS:
        return mask_name
    if field in _PHONE_FIELDS or field.endswith("_phone"):
        return mask_phone
    if field in _ID_FIELDS or field.endswith("_id_number"):
        return mask_id_number
    if field in _TEXT_FIELDS:
        return mask_text
    return None


def mask_record(record: Mapping, user: User | None) -> dict:
    """A copy of the record with its personal fields masked, unless the user may see them."""
    if can(user, "view_personal_data"):
        return dict(record)
    masked = {}
    for key, value in record.items():
        masker = _masker_for(key)
        masked[key] = masker(value) if masker and isinstance(value, str) else value
    return masked


def mask_frame(frame, user: User | None):
    """The same for a pandas DataFrame (tables, exports): a masked copy, or the frame itself."""
    if can(user, "view_personal_data"):
        return frame
    masked = frame.copy()
    for column in masked.columns:
        masker = _masker_for(str(column))
        if masker:
            masked[column] = masked[column].map(lambda v: masker(v) if isinstance(v, str) else v)
    return masked
