"""Safe handling of uploaded files: size limits, zip checks and temporary folders.

An upload is copied into a fresh temporary folder that is removed when the
``workspace`` block ends, whether the import succeeded or failed. Zip
archives are checked member by member before anything is written: the
number of files, the total uncompressed size, each member's compression
ratio (against zip bombs) and each name (no absolute paths, no ``..``, no
links). Members are written under their base name only, so no name can
point outside the folder.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath, PureWindowsPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import reject

logger = logging.getLogger(__name__)

#: Bytes read per step when copying an upload.
_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class UploadLimits:
    """Limits applied to every upload; ``GEOSALUD["IMPORT_LIMITS"]`` may override each field.

    The defaults fit the largest real file the project imports, the whole
    country's district shapefile (4.1 MB unpacked, its .dbf compressed about
    31 to 1), with a wide margin.
    """

    max_upload_bytes: int = 100 * 1024 * 1024
    max_files: int = 20
    max_uncompressed_bytes: int = 512 * 1024 * 1024
    max_compression_ratio: float = 200.0
    #: Limit for OpenStreetMap extracts, which are far larger than boundary layers.
    max_road_network_bytes: int = 1024 * 1024 * 1024


def upload_limits() -> UploadLimits:
    """Return the limits in force, with the settings' overrides applied."""
    overrides = settings.GEOSALUD.get("IMPORT_LIMITS", {})
    return replace(UploadLimits(), **overrides)


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """Yield a new temporary folder and remove it with all its content on exit."""
    folder = Path(tempfile.mkdtemp(prefix="geosalud-import-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_upload(source, name: str, folder: Path, limits: UploadLimits) -> Path:
    """Copy an uploaded stream into ``folder`` under a safe name, enforcing the size limit.

    Parameters
    ----------
    source
        A binary file object (a Django ``UploadedFile`` or an open file).
    name
        The name the client gave; only its base name is kept.
    folder
        Target folder, normally from :func:`workspace`.
    limits
        Limits in force.
    """
    safe_name = member_base_name(name) or "upload"
    target = folder / safe_name
    copied = 0
    with target.open("wb") as handle:
        for block in iter(lambda: source.read(_CHUNK_BYTES), b""):
            copied += len(block)
            if copied > limits.max_upload_bytes:
                raise reject(_(
                    "The file %(file)s is larger than the %(limit)s upload limit. "
                    "Split it by department or compress it as a zip archive."
                ) % {"file": safe_name, "limit": filesizeformat(limits.max_upload_bytes)})
            handle.write(block)
    return target


def member_base_name(name: str) -> str:
    """Return the last part of an archive member or upload name, for either path style."""
    return PureWindowsPath(PurePosixPath(name).name).name


def _check_member_name(archive: str, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    is_absolute = name.startswith(("/", "\\")) or PureWindowsPath(name).drive
    if is_absolute or ".." in parts:
        raise reject(_(
            "The archive %(file)s contains the path %(name)s, which points outside the archive. "
            "Create the zip again from the folder that contains the layer files."
        ) % {"file": archive, "name": name})
    if stat.S_ISLNK(info.external_attr >> 16):
        raise reject(_(
            "The archive %(file)s contains the symbolic link %(name)s. "
            "Put the files themselves in the zip, not links to them."
        ) % {"file": archive, "name": name})


def _check_sizes(archive: str, members: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    if len(members) > limits.max_files:
        raise reject(_(
            "The archive %(file)s contains %(count)d files; at most %(limit)d are accepted. "
            "Put only one layer (.shp, .shx, .dbf, .prj and .cpg) in the zip."
        ) % {"file": archive, "count": len(members), "limit": limits.max_files})

    total = sum(info.file_size for info in members)
    if total > limits.max_uncompressed_bytes:
        raise reject(_(
            "The archive %(file)s unpacks to %(size)s, more than the %(limit)s limit. "
            "Split the layer by department and import each part."
        ) % {
            "file": archive,
            "size": filesizeformat(total),
            "limit": filesizeformat(limits.max_uncompressed_bytes),
        })

    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise reject(_(
                "The member %(name)s of the archive %(file)s is compressed %(ratio).0f to 1, more than "
                "the %(limit).0f to 1 accepted, which is how zip bombs look. "
                "Compress the layer again with an ordinary zip tool."
            ) % {
                "name": info.filename,
                "file": archive,
                "ratio": ratio,
                "limit": limits.max_compression_ratio,
            })


def unpack_zip(path: Path, folder: Path, limits: UploadLimits) -> list[Path]:
    """Check a zip archive and extract its files into ``folder`` under their base names.

    Returns
    -------
    list of Path
        The extracted files, sorted by name. Folders inside the archive are
        flattened; macOS resource forks (``__MACOSX/``) are skipped.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise reject(_(
            "The file %(file)s is not a valid zip archive (%(error)s). "
            "Create the zip again and upload it complete."
        ) % {"file": path.name, "error": exc}) from exc

    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        for info in members:
            _check_member_name(path.name, info)
        members = [info for info in members if not info.filename.startswith("__MACOSX/")]
        _check_sizes(path.name, members, limits)
        return _extract(archive, path.name, members, folder, limits)


def _extract(archive: zipfile.ZipFile, archive_name: str, members: list, folder: Path, limits) -> list[Path]:
    extracted: dict[str, Path] = {}
    written = 0
    for info in members:
        base = member_base_name(info.filename)
        if base.lower() in extracted:
            raise reject(_(
                "The archive %(file)s contains two files named %(name)s. "
                "Keep one layer per zip, with no repeated names."
            ) % {"file": archive_name, "name": base})
        target = folder / base
        with archive.open(info) as source, target.open("wb") as handle:
            # The sizes in the zip directory can lie, so the bytes written are counted too.
            for block in iter(lambda: source.read(_CHUNK_BYTES), b""):
                written += len(block)
                if written > limits.max_uncompressed_bytes:
                    raise reject(_(
                        "The archive %(file)s unpacks to more than the %(limit)s limit. "
                        "Split the layer by department and import each part."
                    ) % {"file": archive_name, "limit": filesizeformat(limits.max_uncompressed_bytes)})
                handle.write(block)
        extracted[base.lower()] = target
    logger.info("Unpacked %d files from %s", len(extracted), archive_name)
    return sorted(extracted.values())
