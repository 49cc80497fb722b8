"""Django side of the matcher: rule versions in the database and programme evaluation."""
from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ops.generation import GenerationCache

from .eligibility import STATUS_ORDER, RuleError, evaluate_programme, household_facts, validate_rule
from .models import EligibilityRule, Programme
from .rule_file import content_digest

logger = logging.getLogger(__name__)


def save_rule_version(programme: Programme, rule: dict, *, source: str, created_by=None,
                      change_note: str = "") -> EligibilityRule:
    """Store ``rule`` as the next version of ``programme``'s rule and make it active.

    The previous active version stays in the table, inactive. Raises
    RuleError when the rule is malformed, before anything is written.
    """
    validate_rule(rule)
    with transaction.atomic():
        # Lock the programme row so that two saves cannot take the same version number.
        Programme.objects.select_for_update().get(pk=programme.pk)
        latest = programme.rules.aggregate(latest=Max("version"))["latest"] or 0
        programme.rules.filter(is_active=True).update(is_active=False)
        version = EligibilityRule.objects.create(
            programme=programme,
            version=latest + 1,
            rule=rule,
            is_active=True,
            source=source,
            source_sha256=content_digest(rule),
            created_by=created_by,
            change_note=change_note,
        )
    logger.info("Saved %s rule version %s from %s", programme.code, version.version, source)
    return version


def activate_rule_version(rule_version: EligibilityRule) -> None:
    """Make ``rule_version`` the active rule of its programme (to roll back a change)."""
    validate_rule(rule_version.rule)
    with transaction.atomic():
        Programme.objects.select_for_update().get(pk=rule_version.programme_id)
        EligibilityRule.objects.filter(programme_id=rule_version.programme_id, is_active=True).update(
            is_active=False
        )
        EligibilityRule.objects.filter(pk=rule_version.pk).update(is_active=True)
    logger.info("Activated %s", rule_version)


def evaluate_programmes(household: list[dict], *, insurance: str, sisfoh: str,
                        ubigeo: str | None, language: str, cse_month: datetime.date | None = None) -> list[dict]:
    """Evaluate every programme with an active rule for one household.

    Parameters
    ----------
    household
        One dict per member with the keys age (years), sex ("F"/"M" or None),
        pregnant, pregnancy_weeks, postpartum_days (days since delivery),
        disability and chronic_illness; unknown values are None.
    insurance
        "none", "sis", "essalud" or "other".
    sisfoh
        "pobre_extremo", "pobre", "no_pobre" or "unknown".
    ubigeo
        District of the search, used for programmes with a coverage list.
    language
        "es" or "en"; other values fall back to Spanish.
    cse_month
        Any day of the month of the household's SISFOH classification (CSE),
        or None when the family did not give it. Its age is counted up to
        today's date in Lima (``TIME_ZONE``).

    Returns
    -------
    list of dict
        One entry per programme, best status first, with the keys code, name,
        status, reasons, documents, next_step, benefit, sources, rule_version
        and members (index, status, reason). A rule that fails validation is
        skipped and logged, so one broken rule never breaks a search.
    """
    language = language if language in ("es", "en") else "es"
    rules = active_rules()
    base_facts = household_facts(household, insurance=insurance, sisfoh=sisfoh, ubigeo=ubigeo,
                                 cse_month=cse_month, today=timezone.localdate())

    results = []
    for rule_version in rules:
        programme = rule_version.programme
        facts = {**base_facts, "household.in_coverage": _in_coverage(programme, ubigeo)}
        outcome = evaluate_programme(rule_version.rule, household, facts, language)
        results.append(_programme_result(programme, rule_version.version, outcome, language))

    results.sort(key=lambda result: (STATUS_ORDER.index(result["status"]), result["sort_order"]))
    for result in results:
        del result["sort_order"]
    return results


def _valid_active_rules() -> list[EligibilityRule]:
    """Load the active rule versions, skipping (and logging) any that fail validation."""
    valid = []
    for rule_version in EligibilityRule.objects.filter(is_active=True).select_related("programme"):
        try:
            validate_rule(rule_version.rule)
        except RuleError as exc:
            logger.error("Skipped %s: invalid rule: %s", rule_version, exc)
            continue
        valid.append(rule_version)
    return valid


#: Active rules, validated once per data generation instead of once per search.
_active_rules = GenerationCache("active eligibility rules", _valid_active_rules)


def active_rules() -> list[EligibilityRule]:
    """Return the validated active rule versions, from this process's copy."""
    return _active_rules.get()


def _in_coverage(programme: Programme, ubigeo: str | None) -> bool | None:
    # Without a coverage list or a district, coverage is unknown, so the rule requests confirmation.
    if not programme.coverage_ubigeos or not ubigeo:
        return None
    return ubigeo in programme.coverage_ubigeos


def _programme_result(programme: Programme, version: int, outcome: dict[str, Any], language: str) -> dict:
    return {
        "code": programme.code,
        "name": programme.text("name", language),
        "status": outcome["status"],
        "reasons": outcome["reasons"],
        "documents": list(getattr(programme, f"documents_{language}") or programme.documents_es),
        "next_step": programme.text("next_step", language),
        "benefit": programme.text("benefit", language),
        "sources": list(programme.sources),
        "rule_version": version,
        "members": outcome["members"],
        "sort_order": programme.sort_order,
    }
