"""Audit records, snapshots of replaced rows, and restore of the last import of a table.

Snapshots store each replaced row's fields as JSON, geometries as hex EWKB,
so that a restore writes back exactly the bytes that were stored before.
"""
from __future__ import annotations

import logging

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from geoservices.loaders.facilities import refresh_spatial_flags
from geoservices.loaders.services import infer_facility_services
from geoservices.models import Department, District, Facility, ImportRecord, Province

from .errors import ImportRejected, reject
from .plan import ImportPlan

logger = logging.getLogger(__name__)

#: Model and key field of each table an import may change.
TARGETS = {
    "district": (District, "ubigeo"),
    "province": (Province, "ubigeo"),
    "department": (Department, "ubigeo"),
    "facility": (Facility, "renaes_code"),
}


def snapshot(instance, fields: tuple[str, ...]) -> dict:
    """Return the JSON form of ``fields`` of a stored row, geometries as hex EWKB."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        values[name] = value.hexewkb.decode() if isinstance(value, GEOSGeometry) else value
    return values


def _from_snapshot(model, values: dict) -> dict:
    restored = {}
    for name, value in values.items():
        is_geometry = hasattr(model._meta.get_field(name), "geom_type")
        restored[name] = GEOSGeometry(value) if is_geometry and value else value
    return restored


def record_rejection(plan_or_kind, messages: list[str], user=None, *, target: str = "", file_name: str = "",
                     sha256: str = "") -> ImportRecord:
    """Store a rejected attempt to apply an import, with its messages, outside any failed transaction."""
    if isinstance(plan_or_kind, ImportPlan):
        kind, target, file_name, sha256 = (
            plan_or_kind.kind, plan_or_kind.target, plan_or_kind.file_name, plan_or_kind.file_sha256
        )
        counts = plan_or_kind.counts()
    else:
        kind, counts = plan_or_kind, {}
    return ImportRecord.objects.create(
        kind=kind, target=target, status=ImportRecord.Status.REJECTED, file_name=file_name[:255],
        file_sha256=sha256, user=user_or_none(user), counts=counts, messages=list(messages),
    )


def user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def latest_applied(target: str) -> ImportRecord | None:
    """Return the last applied import of ``target``, the only one that may be restored."""
    return (
        ImportRecord.objects.filter(target=target, status=ImportRecord.Status.APPLIED)
        .exclude(kind=ImportRecord.Kind.RESTORE)
        .exclude(previous=None)
        .first()
    )


def restore(record: ImportRecord, user=None) -> ImportRecord:
    """Undo an applied import: delete the rows it created and write back the rows it replaced.

    Only the last applied import of a table may be restored, because a later
    import may have changed the same rows again.

    Raises
    ------
    ImportRejected
        When ``record`` is not the last applied import of its table, or a
        created row is now referenced by other rows.
    """
    latest = latest_applied(record.target)
    if latest is None or latest.pk != record.pk:
        raise reject(_(
            "The import %(id)s (%(file)s) cannot be restored because it is not the last applied import "
            "of the %(target)s table. Restore the later imports first, newest first."
        ) % {"id": record.pk, "file": record.file_name, "target": record.target})

    model, key_field = TARGETS[record.target]
    created = record.previous.get("created", [])
    updated = record.previous.get("updated", {})
    try:
        with transaction.atomic():
            model.objects.filter(**{f"{key_field}__in": created}).delete()
            for key, values in updated.items():
                model.objects.filter(**{key_field: key}).update(**_from_snapshot(model, values))
            _after_restore(record.target, updated)
            record.status = ImportRecord.Status.RESTORED
            record.save(update_fields=["status"])
            restore_record = ImportRecord.objects.create(
                kind=ImportRecord.Kind.RESTORE, target=record.target, status=ImportRecord.Status.APPLIED,
                file_name=record.file_name, file_sha256=record.file_sha256, user=user_or_none(user),
                counts={"deleted": len(created), "updated": len(updated)}, restores=record,
            )
    except ProtectedError as exc:
        raise ImportRejected([_(
            "The import %(id)s cannot be restored: rows it created are now used by other rows (%(error)s). "
            "Restore or delete the lower-level imports first."
        ) % {"id": record.pk, "error": exc}]) from exc
    logger.info("Restored import %s of %s: %d rows deleted, %d rewritten",
                record.pk, record.target, len(created), len(updated))
    return restore_record


def _after_restore(target: str, updated: dict) -> None:
    if target == "district":
        refresh_spatial_flags()
    elif target == "facility":
        ids = list(Facility.objects.filter(renaes_code__in=list(updated)).values_list("id", flat=True))
        refresh_spatial_flags(ids)
        infer_facility_services()
