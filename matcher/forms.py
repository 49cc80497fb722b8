"""Admin forms that check eligibility rules and programme coverage lists before they are saved."""
import csv
import io
import re

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.utils.translation import gettext_lazy as _

from geoservices.models import District

from .eligibility import RuleError, validate_rule
from .models import EligibilityRule, Programme

#: Translated messages for each RuleError code; the parameters come from the error.
RULE_ERROR_MESSAGES = {
    "not_object": _("%(path)s must be a JSON object, not %(type)s. Write it between braces { }."),
    "unknown_key": _("Unknown key “%(key)s” at %(path)s. Remove it or correct its spelling."),
    "missing_key": _("The key “%(key)s” is missing at %(path)s. Add it."),
    "bad_scope": _("The scope %(value)s is invalid. Use “member” or “household”."),
    "bad_text": _("%(path)s must be an object with the texts “es” and “en”."),
    "missing_text": _("%(path)s has no text in “%(language)s”. Add it."),
    "unknown_placeholder": _("%(path)s.%(language)s shows {%(fact)s}, which is not a fact. Use one of: %(facts)s."),
    "empty_node": _("%(path)s needs “all”, “any” or “fact”."),
    "bad_modifier": _("%(path)s.%(key)s has the value %(value)s. Use one of: %(values)s."),
    "mixed_node": _("%(path)s mixes “all”, “any” and “fact”. Split it into separate conditions."),
    "empty_list": _("%(path)s.%(key)s must be a list with at least one condition."),
    "unknown_fact": _("The fact %(fact)s at %(path)s does not exist. Use one of: %(facts)s."),
    "member_fact_in_household_rule": _(
        "%(path)s reads %(fact)s, but a household rule has no member. Change the scope to “member”."
    ),
    "no_operator": _("%(path)s tests nothing. Add one of: %(operators)s."),
    "bad_operand": _("%(path)s: the value %(value)s of “%(operator)s” does not suit the fact %(fact)s (%(type)s)."),
    "bad_near": _("%(path)s.%(key)s needs a number and the bound “%(bound)s” beside it."),
}


def rule_error_message(error: RuleError) -> str:
    """Return the translated message for ``error``, naming the value and the fix."""
    template = RULE_ERROR_MESSAGES.get(error.code)
    if template is None:
        return str(_("The rule is invalid: %(error)s")) % {"error": error}
    params = {key: value if isinstance(value, str) else repr(value) for key, value in error.params.items()}
    return str(template) % params


class EligibilityRuleForm(forms.ModelForm):
    """Edit a rule as JSON; saving it stores a new version (see the admin)."""

    class Meta:
        model = EligibilityRule
        fields = ["programme", "rule", "change_note"]

    def clean_rule(self):
        rule = self.cleaned_data["rule"]
        try:
            validate_rule(rule)
        except RuleError as exc:
            raise forms.ValidationError(rule_error_message(exc), code=exc.code) from exc
        return rule


#: Largest coverage file accepted; Peru has 1,874 districts, far below this.
MAX_COVERAGE_FILE_BYTES = 200_000
UBIGEO_PATTERN = re.compile(r"^\d{6}$")


class ProgrammeForm(forms.ModelForm):
    """Edit a programme; source addresses without a scheme are read as https.

    The district coverage list can be typed (comma-separated ubigeos) or
    loaded from a CSV file, which replaces the typed list. Every ubigeo must
    be a district in the database; on any error nothing is saved.
    """

    sources = SimpleArrayField(forms.URLField(max_length=500, assume_scheme="https"))
    coverage_ubigeos = SimpleArrayField(forms.CharField(max_length=6), required=False,
                                        label=_("Coverage ubigeos"),
                                        help_text=Programme._meta.get_field("coverage_ubigeos").help_text)
    coverage_file = forms.FileField(
        required=False, label=_("Coverage file (CSV)"),
        help_text=_("A CSV file with a “ubigeo” column, or one 6-digit ubigeo per line. It replaces the list above."),
    )

    class Meta:
        model = Programme
        fields = "__all__"

    def clean_coverage_ubigeos(self):
        return check_ubigeos(self.cleaned_data["coverage_ubigeos"])

    def clean_coverage_file(self):
        upload = self.cleaned_data.get("coverage_file")
        if not upload:
            return None
        if upload.size > MAX_COVERAGE_FILE_BYTES:
            raise forms.ValidationError(
                _("The file %(name)s has %(size)s bytes, over the limit of %(limit)s. Send only the ubigeo column.")
                % {"name": upload.name, "size": upload.size, "limit": MAX_COVERAGE_FILE_BYTES}
            )
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("The file %(name)s is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
                % {"name": upload.name}
            ) from exc
        return check_ubigeos(read_ubigeo_column(text))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("coverage_file") is not None:
            cleaned["coverage_ubigeos"] = cleaned["coverage_file"]
        return cleaned


def read_ubigeo_column(text: str) -> list[str]:
    """Return the values of the ``ubigeo`` column, or of the first column when there is no such header."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise forms.ValidationError(_("The coverage file is empty. Put one ubigeo per line."))
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("ubigeo") if "ubigeo" in header else 0
    body = rows[1:] if "ubigeo" in header else rows
    return [row[column].strip() if column < len(row) else "" for row in body]


def check_ubigeos(ubigeos: list[str]) -> list[str]:
    """Return the ubigeos without repeats, or raise a ValidationError naming the malformed or unknown ones."""
    malformed = [value for value in ubigeos if not UBIGEO_PATTERN.match(value)]
    if malformed:
        raise forms.ValidationError(
            _("These values are not 6-digit ubigeos: %(values)s. Write each ubigeo with 6 digits, "
              "keeping leading zeros (for example 010101).") % {"values": ", ".join(malformed[:10])}
        )
    unique = list(dict.fromkeys(ubigeos))
    known = set(District.objects.filter(ubigeo__in=unique).values_list("ubigeo", flat=True))
    unknown = [value for value in unique if value not in known]
    if unknown:
        raise forms.ValidationError(
            _("No district has the ubigeo %(values)s. Correct or remove it. Nothing was saved.")
            % {"values": ", ".join(unknown[:10])}
        )
    return unique
