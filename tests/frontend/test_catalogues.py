"""Every Spanish message is translated: a missing msgstr would show English to families."""
import re
from pathlib import Path

import pytest
from django.conf import settings

SPANISH_CATALOGUES = ["django.po", "djangojs.po"]
KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(.*)"$')
CONTINUATION = re.compile(r'^"(.*)"$')


def read_po_entries(path: Path) -> list[dict]:
    """Parse a PO file into entries of ``{"flags": set, "msgid": str, "msgstr": [str], "line": int}``.

    Obsolete entries (``#~``) are skipped. Strings stay in their escaped form,
    which is enough to tell empty from filled.
    """
    entries = []
    entry = None
    key = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            entry = None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgid": "", "msgstr": [], "line": number, "fields": {}}
            entries.append(entry)
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword = KEYWORD.match(line)
        continuation = CONTINUATION.match(line)
        if keyword:
            key = keyword.group(1)
            entry["fields"][key] = keyword.group(2)
        elif continuation and key:
            entry["fields"][key] += continuation.group(1)
    for entry in entries:
        fields = entry.pop("fields")
        entry["msgid"] = fields.get("msgid", "")
        entry["msgstr"] = [value for name, value in fields.items() if name.startswith("msgstr")]
    return [entry for entry in entries if entry["msgid"]]


def spanish_catalogue(name: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "es" / "LC_MESSAGES" / name


@pytest.mark.parametrize("name", SPANISH_CATALOGUES)
def test_spanish_catalogue_exists(name):
    assert spanish_catalogue(name).is_file(), f"Run makemessages -l es to create {spanish_catalogue(name)}"


@pytest.mark.parametrize("name", SPANISH_CATALOGUES)
def test_spanish_catalogue_fully_translated(name):
    entries = read_po_entries(spanish_catalogue(name))
    untranslated = [
        f"line {entry['line']}: {entry['msgid']}" for entry in entries if not all(entry["msgstr"])
    ]

    assert entries, f"{name} has no messages"
    assert not untranslated, f"{name}: fill in the Spanish msgstr of:\n" + "\n".join(untranslated)


@pytest.mark.parametrize("name", SPANISH_CATALOGUES)
def test_spanish_catalogue_has_no_fuzzy(name):
    fuzzy = [f"line {entry['line']}: {entry['msgid']}" for entry in read_po_entries(spanish_catalogue(name))
             if "fuzzy" in entry["flags"]]

    assert not fuzzy, f"{name}: check these translations and remove their fuzzy flag:\n" + "\n".join(fuzzy)


def test_po_parser_finds_gaps(tmp_path):
    # The parser must see an empty msgstr, a fuzzy flag and a wrapped msgid.
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        'msgid "Search"\nmsgstr "Buscar"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Person %s"\nmsgstr "Persona %s"\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )

    entries = {entry["msgid"]: entry for entry in read_po_entries(po)}

    assert set(entries) == {"Search", "Long text", "Person %s"}
    assert entries["Long text"]["msgstr"] == [""]
    assert "fuzzy" in entries["Person %s"]["flags"]
    assert entries["Search"]["msgstr"] == ["Buscar"]
