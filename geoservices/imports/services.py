"""Entry points shared by the admin upload views and the import commands.

Each entry point copies the upload into a temporary folder (removed on
exit), builds the plan, and applies it only when ``commit`` is true. A
rejected commit is recorded in the audit log before the error propagates.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from ops.jobs import report_progress

from .archive import copy_upload, unpack_zip, upload_limits, workspace
from .boundaries import apply_boundaries, get_level, map_fields, plan_boundaries, preview_geojson
from .errors import ImportRejected, reject
from .facilities import apply_facilities, detect_layout, plan_facilities, read_table
from .layers import find_layer_file, read_layer
from .plan import ImportPlan
from .versions import record_rejection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoundaryOptions:
    """Choices an admin made for a boundary import; None means the value is detected from the file."""

    level: str = "district"
    srid: int | None = None
    encoding: str | None = None
    layer: str | None = None
    ubigeo_field: str | None = None
    name_field: str | None = None


@dataclass
class ImportResult:
    """A plan and, when it was applied, its audit record."""

    plan: ImportPlan
    record: object | None = None


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpacked_files(source, name: str, folder: Path) -> tuple[list[Path], str]:
    """Copy an upload into ``folder``, unpack it when it is a zip, and return the files and its SHA-256."""
    limits = upload_limits()
    upload = copy_upload(source, name, folder, limits)
    sha256 = sha256_of(upload)
    if upload.suffix.lower() != ".zip":
        return [upload], sha256
    unpacked = folder / "unpacked"
    unpacked.mkdir()
    return unpack_zip(upload, unpacked, limits), sha256


def import_boundaries(source, name: str, options: BoundaryOptions, *, commit: bool = False, user=None,
                      with_preview: bool = False) -> ImportResult:
    """Plan a boundary upload and apply it when ``commit`` is true.

    Parameters
    ----------
    source
        Binary file object of the upload (zip, .geojson, .json or .gpkg).
    name
        File name the admin uploaded, used in messages.
    options
        Level, CRS, encoding and field choices.
    commit
        Apply the plan in one transaction; otherwise nothing is written.
    with_preview
        Add a simplified GeoJSON of the changed features as ``plan.details["preview"]``.

    Raises
    ------
    ImportRejected
        When the file cannot be read or the plan has failures and ``commit``
        is true. Nothing is changed.
    """
    level = get_level(options.level)
    sha256 = ""
    try:
        with workspace() as folder:
            files, sha256 = unpacked_files(source, name, folder)
            layer = read_layer(
                find_layer_file(files, name), srid=options.srid, encoding=options.encoding, layer=options.layer
            )
        report_progress(0.3, message=f"Read {len(layer.frame)} features from {name}")
        mapping = map_fields(layer, level, options.ubigeo_field, options.name_field)
        plan = plan_boundaries(layer, level, mapping, name, sha256)
        report_progress(0.6, message=f"Planned {name}: {plan.summary()}")
    except ImportRejected as exc:
        if commit:
            record_rejection("boundaries", exc.messages, user, target=level.name, file_name=name, sha256=sha256)
        raise

    if with_preview:
        plan.details["preview"] = preview_geojson(plan)
    record = apply_boundaries(plan, level, user) if commit else None
    return ImportResult(plan=plan, record=record)


def _table_file(files: list[Path], name: str) -> Path:
    tables = [path for path in files if path.suffix.lower() in (".csv", ".txt", ".xlsx")]
    if len(tables) != 1:
        found = ", ".join(path.name for path in files)
        raise reject(_(
            "The upload %(file)s must contain exactly one CSV or .xlsx table (found: %(found)s). "
            "Upload the registry table alone or in a zip of its own."
        ) % {"file": name, "found": found})
    return tables[0]


def import_facilities(source, name: str, *, strict: bool = False, commit: bool = False, user=None) -> ImportResult:
    """Plan a facility registry upload and apply it when ``commit`` is true.

    Parameters
    ----------
    source
        Binary file object of the upload (.csv, .xlsx, or a zip with one of them).
    name
        File name the admin uploaded, used in messages.
    strict
        Fail every row with a problem (so the whole file is rejected) instead
        of importing it with quality flags.
    commit
        Apply the plan in one transaction; otherwise nothing is written.

    Raises
    ------
    ImportRejected
        When the file cannot be read, or the plan has failures and ``commit``
        is true. Nothing is changed.
    """
    sha256 = ""
    try:
        with workspace() as folder:
            files, sha256 = unpacked_files(source, name, folder)
            rows = read_table(_table_file(files, name))
        report_progress(0.2, message=f"Read {len(rows)} rows from {name}")
        layout = detect_layout(rows, name)
        plan = plan_facilities(rows, layout, name, sha256, strict=strict)
        report_progress(0.6, message=f"Planned {name}: {plan.summary()}")
    except ImportRejected as exc:
        if commit:
            record_rejection("facilities", exc.messages, user, target="facility", file_name=name, sha256=sha256)
        raise
    record = apply_facilities(plan, user) if commit else None
    return ImportResult(plan=plan, record=record)
