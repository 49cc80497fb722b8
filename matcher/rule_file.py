"""Read and check the programme rule file (``data/programs/rules.json``), without Django.

The file contains one entry per programme: its texts in Spanish and English, the
documents to bring, the sources of the staged eligibility table, and the
eligibility rule that :mod:`matcher.eligibility` evaluates.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from .eligibility import LANGUAGES, MatcherError, RuleError, validate_rule

logger = logging.getLogger(__name__)

#: Texts every programme entry has in both languages.
TEXT_FIELDS = ("name", "description", "benefit", "next_step", "notes")
#: Plain string fields of a programme entry.
STRING_FIELDS = ("code", "source_id", "entity", "kind")


class RuleFileError(MatcherError, ValueError):
    """The rule file cannot be read or an entry in it is malformed."""


def read_rule_file(path: Path) -> list[dict[str, Any]]:
    """Read the rule file and return its programme entries, checked.

    Raises
    ------
    RuleFileError
        When the file is missing, is not JSON, or an entry lacks a field,
        repeats a code, or has a rule that :func:`validate_rule` rejects.
        The message names the programme and the field.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleFileError(f"Rule file {path} not found; restore it from the repository.") from exc
    except json.JSONDecodeError as exc:
        raise RuleFileError(f"Rule file {path} is not valid JSON: {exc}. Fix the syntax.") from exc

    entries = document.get("programmes") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RuleFileError(f"Rule file {path} has no 'programmes' list; add one entry per programme.")

    seen: set[str] = set()
    for position, entry in enumerate(entries):
        check_entry(entry, position)
        if entry["code"] in seen:
            raise RuleFileError(f"Programme code {entry['code']!r} appears twice in {path}; keep one entry.")
        seen.add(entry["code"])
    logger.info("Read %s programmes from %s", len(entries), path)
    return entries


def check_entry(entry: Any, position: int) -> None:
    """Raise RuleFileError unless ``entry`` is a complete programme entry."""
    if not isinstance(entry, dict):
        raise RuleFileError(f"Programme entry {position} is not a JSON object.")
    label = entry.get("code", f"entry {position}")

    for field in STRING_FIELDS:
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise RuleFileError(f"Programme {label}: field {field!r} is missing or empty.")
    for field in TEXT_FIELDS:
        text = entry.get(field)
        if not isinstance(text, dict) or not all(isinstance(text.get(lang), str) and text[lang]
                                                 for lang in LANGUAGES):
            raise RuleFileError(f"Programme {label}: field {field!r} needs non-empty 'es' and 'en' texts.")

    documents = entry.get("documents")
    if not isinstance(documents, dict) or not all(_is_string_list(documents.get(lang)) for lang in LANGUAGES):
        raise RuleFileError(f"Programme {label}: 'documents' needs 'es' and 'en' lists of texts.")
    if not _is_string_list(entry.get("sources")) or not entry["sources"]:
        raise RuleFileError(f"Programme {label}: 'sources' needs at least one address.")
    if not isinstance(entry.get("sort_order"), int):
        raise RuleFileError(f"Programme {label}: 'sort_order' must be a whole number.")

    try:
        validate_rule(entry.get("rule"))
    except RuleError as exc:
        raise RuleFileError(f"Programme {label}: invalid rule: {exc}") from exc


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)


def content_digest(value: Any) -> str:
    """Return the SHA-256 of ``value`` as canonical JSON (sorted keys).

    Two rules or entries with the same content get the same digest whatever
    their key order or indentation in the file.
    """
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
