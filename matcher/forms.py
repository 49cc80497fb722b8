"""Admin forms that check eligibility rules before they are saved."""
from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.utils.translation import gettext_lazy as _

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


class ProgrammeForm(forms.ModelForm):
    """Edit a programme; source addresses without a scheme are read as https."""

    sources = SimpleArrayField(forms.URLField(max_length=500, assume_scheme="https"))

    class Meta:
        model = Programme
        fields = "__all__"
