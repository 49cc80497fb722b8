"""Public programmes and their versioned eligibility rules, feedback and shown result lists."""
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """A public programme a family may be entitled to (SIS, Juntos, Pensión 65, ...).

    Texts come in Spanish and English from ``data/programs/rules.json``;
    ``manage.py load_programs`` keeps them in step with that file.
    """

    code = models.SlugField(max_length=40, unique=True)
    source_id = models.CharField(
        max_length=40, help_text=_("programa_id of the row in the staged eligibility table.")
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    entity = models.CharField(max_length=200, help_text=_("Public entity that runs the programme."))
    kind = models.CharField(max_length=40, help_text=_("Kind of programme as the source table names it."))
    name_es = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    description_es = models.TextField()
    description_en = models.TextField()
    benefit_es = models.TextField()
    benefit_en = models.TextField()
    next_step_es = models.TextField()
    next_step_en = models.TextField()
    documents_es = models.JSONField(default=list, help_text=_("List of documents to bring, in Spanish."))
    documents_en = models.JSONField(default=list, help_text=_("List of documents to bring, in English."))
    notes_es = models.TextField(blank=True)
    notes_en = models.TextField(blank=True)
    sources = ArrayField(models.URLField(max_length=500), default=list)
    coverage_ubigeos = ArrayField(
        models.CharField(max_length=6),
        default=list,
        blank=True,
        help_text=_(
            "Ubigeos of the districts the programme serves. Empty means no coverage list is loaded, "
            "and families are asked to confirm coverage."
        ),
    )
    source_sha256 = models.CharField(
        max_length=64, blank=True, help_text=_("Digest of the entry in the rule file that last updated it.")
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name_es

    def text(self, field: str, language: str) -> str:
        """Return ``field`` ("name", "benefit", ...) in ``language``, falling back to Spanish."""
        return getattr(self, f"{field}_{language}", "") or getattr(self, f"{field}_es")


class EligibilityRule(models.Model):
    """One version of a programme's eligibility rule.

    Versions are never edited in place: a change saves a new version and
    makes it the active one, so a search can record the version it used.
    """

    SOURCE_CHOICES = [("file", _("Rule file")), ("admin", _("Admin"))]

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    version = models.PositiveIntegerField()
    rule = models.JSONField(help_text=_("Rule as JSON; see docs/matcher.md for the format."))
    is_active = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=SOURCE_CHOICES, default="admin")
    source_sha256 = models.CharField(max_length=64, help_text=_("Digest of the rule JSON."))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["programme__sort_order", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="unique_rule_version"),
            models.UniqueConstraint(
                fields=["programme"], condition=models.Q(is_active=True), name="one_active_rule_per_programme"
            ),
        ]
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")

    def __str__(self) -> str:
        return f"{self.programme.code} v{self.version}"


class Feedback(models.Model):
    """What a family did with one search result, stored without personal data.

    It records the facility, its position in the list and the search context
    that the ranker learns from, but no names, document numbers, exact ages,
    exact locations or IP addresses.
    """

    ACTION_CHOICES = [
        ("opened", _("Opened the result")),
        ("called", _("Called the facility")),
        ("routed", _("Asked for directions")),
        ("attended", _("Was attended")),
        ("not_attended", _("Was not attended")),
    ]

    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    renaes_code = models.CharField(max_length=8, db_index=True)
    rank = models.PositiveSmallIntegerField(help_text=_("Position of the result in the list, from 1."))
    results_count = models.PositiveSmallIntegerField(null=True, blank=True)
    model_version = models.CharField(max_length=40, blank=True, help_text=_("Ranker that ordered the list."))
    needs = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    insurance = models.CharField(max_length=16, blank=True)
    mode = models.CharField(max_length=8, blank=True)
    travel_time_min = models.FloatField(null=True, blank=True)
    travel_time_source = models.CharField(max_length=16, blank=True)
    ubigeo = models.CharField(max_length=6, blank=True, help_text=_("District of the search, not of the family."))
    search = models.ForeignKey(
        "SearchImpression", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback",
        help_text=_("The list the family was shown, when the page sent its search id."),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("result feedback")
        verbose_name_plural = _("result feedback")

    def __str__(self) -> str:
        return f"{self.action} {self.renaes_code} #{self.rank}"


class SearchImpression(models.Model):
    """The ranked list one search showed, kept so that feedback can become training data.

    ``token`` is a random identifier returned with the search and sent back
    with feedback; it identifies the list, not the family. Candidates keep only
    the ranking features (travel time, category, institution, insurance terms
    and the like), never the household's ages or location.
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_on = models.DateField(auto_now_add=True, db_index=True)
    context = models.JSONField(default=dict, help_text=_("Mode, urgency, insurance and needs of the search."))
    candidates = models.JSONField(default=list, help_text=_("Ranking features of each result, in the order shown."))
    model_version = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_on", "-id"]
        verbose_name = _("search impression")
        verbose_name_plural = _("search impressions")

    def __str__(self) -> str:
        return str(self.token)
