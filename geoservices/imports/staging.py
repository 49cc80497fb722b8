"""Uploads kept between the preview and the admin's confirmation.

An admin reviews the preview of an upload, then confirms it. Between the two
requests the uploaded file waits under ``VAR_DIR/import_staging/<token>/``
with the options chosen; the confirmation plans the file again from there,
so what is applied is checked as carefully as what was previewed. Staged
uploads are removed once applied or cancelled, and any left for more than
``MAX_AGE_S`` are removed when the next one is staged.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .archive import copy_upload, member_base_name, upload_limits
from .errors import ImportRejected, reject

logger = logging.getLogger(__name__)

#: Seconds a staged upload is kept when the admin never confirms it.
MAX_AGE_S = 24 * 3600

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class StagedUpload:
    """An upload waiting for confirmation: its file, the name the admin gave and the options."""

    token: str
    path: Path
    name: str
    kind: str
    options: dict
    rows: int = 0


def staging_dir() -> Path:
    """Return the folder of staged uploads, under ``VAR_DIR``."""
    return Path(settings.VAR_DIR) / "import_staging"


def stage(source, name: str, kind: str, options: dict) -> StagedUpload:
    """Copy an upload into a new staging folder, enforcing the upload size limit."""
    _remove_expired()
    token = secrets.token_hex(16)
    folder = staging_dir() / token
    folder.mkdir(parents=True)
    try:
        path = copy_upload(source, name, folder, upload_limits())
    except (ImportRejected, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        raise
    staged = StagedUpload(token, path, member_base_name(name), kind, options)
    save(staged)
    return staged


def save(staged: StagedUpload) -> None:
    """Write the staged upload's name, kind, options and row count beside its file."""
    meta = {"file": staged.path.name, "name": staged.name, "kind": staged.kind,
            "options": staged.options, "rows": staged.rows}
    (staged.path.parent / "meta.json").write_text(json.dumps(meta))


def load(token: str, kind: str) -> StagedUpload:
    """Return the staged upload ``token`` of ``kind``, or reject an unknown or expired one."""
    folder = staging_dir() / token if _TOKEN.match(token or "") else None
    if folder is None or not (folder / "meta.json").is_file():
        raise reject(_("This preview has expired or was already applied. Upload the file again."))
    meta = json.loads((folder / "meta.json").read_text())
    if meta["kind"] != kind:
        raise reject(_("This preview has expired or was already applied. Upload the file again."))
    return StagedUpload(token, folder / meta["file"], meta["name"], meta["kind"], meta["options"], meta["rows"])


def discard(token: str) -> None:
    """Remove a staged upload; unknown tokens are ignored."""
    if _TOKEN.match(token or ""):
        shutil.rmtree(staging_dir() / token, ignore_errors=True)


def _remove_expired() -> None:
    folder = staging_dir()
    if not folder.is_dir():
        return
    now = time.time()
    for entry in folder.iterdir():
        if entry.is_dir() and now - entry.stat().st_mtime > MAX_AGE_S:
            shutil.rmtree(entry, ignore_errors=True)
            logger.info("Removed expired staged upload %s", entry.name)
