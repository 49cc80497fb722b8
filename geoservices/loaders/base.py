"""Shared pieces of the loaders: reports, file hashing and rerun skipping."""
from dataclasses import dataclass, field
import hashlib
from pathlib import Path

from django.conf import settings

from geoservices.models import DataLoad


class LoadError(ValueError):
    """A source file cannot be loaded; the message names the file, the value and the fix."""


@dataclass
class LoadReport:
    """Counts of one loader run."""

    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    sources_unchanged: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "notes": self.notes,
        }

    def summary(self) -> str:
        if self.sources_unchanged:
            return f"{self.name}: sources unchanged since the last load, nothing to do"
        return (
            f"{self.name}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.failed} failed"
        )


def source_dir() -> Path:
    """Return the folder of the staged real data (``GEOSALUD["SOURCE_DATA_DIR"]``)."""
    return Path(settings.GEOSALUD["SOURCE_DATA_DIR"])


def files_sha256(paths: list[Path]) -> str:
    """Return one SHA-256 over the contents of ``paths``, in order."""
    digest = hashlib.sha256()
    for path in paths:
        if not path.exists():
            raise LoadError(f"Missing source file {path}. Restore it from the repository's data/ folder.")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def is_unchanged(loader: str, sha256: str) -> bool:
    """Tell whether ``loader`` already loaded sources with this hash."""
    return DataLoad.objects.filter(loader=loader, source_sha256=sha256).exists()


def record_load(loader: str, sha256: str, report: LoadReport) -> None:
    """Store the hash of the sources a loader applied, with its counts."""
    DataLoad.objects.update_or_create(
        loader=loader, defaults={"source_sha256": sha256, "summary": report.as_dict()}
    )


def upsert_counts(existing: dict, incoming: dict) -> tuple[int, int, int]:
    """Count created, updated and unchanged keys of ``incoming`` against ``existing`` values."""
    created = sum(1 for key in incoming if key not in existing)
    updated = sum(1 for key, value in incoming.items() if key in existing and existing[key] != value)
    unchanged = len(incoming) - created - updated
    return created, updated, unchanged
