"""Audit log of staff imports, with the replaced rows kept for restore, and family data reports.

This module is imported at the end of ``geoservices/models.py`` so that the
models belong to the geoservices app.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class ImportRecord(models.Model):
    """One change of the stored data by an admin: an import, a restore or a graph build request.

    Rejected attempts to apply an import are recorded too, with their
    messages, so the log tells who tried what. ``previous`` keeps the rows an
    applied import replaced or created, so that the import can be undone.
    """

    class Kind(models.TextChoices):
        BOUNDARIES = "boundaries", _("Boundary layer")
        FACILITIES = "facilities", _("Facility registry")
        ROAD_NETWORK = "road_network", _("Road network")
        RESTORE = "restore", _("Restore of a previous version")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected, nothing changed")
        RESTORED = "restored", _("Applied, then restored")
        QUEUED = "queued", _("Queued as a background job")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    target = models.CharField(
        _("table"), max_length=16, help_text=_("district, province, department, facility or road_region.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    counts = models.JSONField(_("row counts"), default=dict, blank=True)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    previous = models.JSONField(
        _("previous version"),
        null=True,
        blank=True,
        help_text=_("Rows this import created (keys) and replaced (their former values), for restore."),
    )
    restores = models.ForeignKey(
        "self", verbose_name=_("restores"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="restored_by",
    )
    job = models.ForeignKey(
        "ops.Job", verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import record")
        verbose_name_plural = _("import records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def rows_changed(self) -> int:
        """Rows created, updated or deleted by this change."""
        return sum(int(self.counts.get(key, 0)) for key in ("created", "updated", "deleted"))


class DataReport(models.Model):
    """A family's report that a facility's data is wrong, kept without personal data."""

    class Topic(models.TextChoices):
        LOCATION = "location", _("Wrong location")
        CLOSED = "closed", _("Closed or does not exist")
        HOURS = "hours", _("Wrong opening hours")
        PHONE = "phone", _("Wrong phone number")
        SERVICES = "services", _("Does not offer the service")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FIXED = "fixed", _("Fixed")
        DISMISSED = "dismissed", _("Dismissed")

    renaes_code = models.CharField(_("RENAES code"), max_length=8, db_index=True)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices)
    comment = models.TextField(
        _("comment"), max_length=500, blank=True, help_text=_("What the family wrote; never a name or ID number.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("wrong data report")
        verbose_name_plural = _("wrong data reports")

    def __str__(self) -> str:
        return f"{self.renaes_code}: {self.get_topic_display()}"
