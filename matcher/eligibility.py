"""Eligibility rules as data: validation and evaluation, without Django.

A rule is a JSON object::

    {"scope": "member" | "household",
     "condition": <node>,
     "eligible": <text>, "likely": <text>, "not_eligible": <text>}

where ``<text>`` is ``{"es": "...", "en": "..."}`` and a ``<node>`` is either a
composite ``{"all": [<node>, ...]}`` / ``{"any": [<node>, ...]}`` or a leaf that
tests one fact::

    {"fact": "member.age", "min": 0, "max": 17, "near_max": 19}

Leaf operators: ``eq``, ``in``, ``not_in``, ``is`` (booleans), ``min`` and
``max`` (inclusive, numbers) with optional ``near_min`` / ``near_max``, and
``known`` (whether the fact was given at all). A text may show a fact's value
with a placeholder such as ``{household.cse_date}``. Any node may carry the texts
``pass`` (why it holds), ``fail`` (why it does not) and ``confirm`` (which fact
to confirm), and the modifiers ``if_unknown`` (``"likely"``, the default,
``"pass"`` or ``"fail"``), ``on_fail: "likely"`` and ``at_best: "likely"``.

Evaluation uses four truth values. A missing fact is UNKNOWN and a number in
the ``near`` band is NEAR; both lead to the status ``likely``, which leans
towards inclusion and names the fact to confirm.
"""
from __future__ import annotations

import enum
import logging
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

ELIGIBLE = "eligible"
LIKELY = "likely"
NOT_ELIGIBLE = "not_eligible"
#: Statuses from best to worst; the programme takes its best member's status.
STATUS_ORDER = (ELIGIBLE, LIKELY, NOT_ELIGIBLE)

LANGUAGES = ("es", "en")
SCOPES = ("member", "household")

INSURANCE_VALUES = ("none", "sis", "essalud", "other")
SISFOH_VALUES = ("pobre_extremo", "pobre", "no_pobre")
SEX_VALUES = ("F", "M")

#: Facts a rule may read, with their type and, for codes, the allowed values.
#: Facts the family form does not ask (``receives_pension``, ``nrus_taxpayer``,
#: ``remype_employee``) stay unknown unless a caller passes them.
#: ``household.cse_months`` is the age of the household's SISFOH classification
#: (CSE) in whole months, counted from the first day of the month the family
#: gave, and ``household.cse_date`` is that month as "MM/YYYY" for texts.
FACT_TYPES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "member.age": ("number", None),
    "member.sex": ("code", SEX_VALUES),
    "member.pregnant": ("bool", None),
    "member.pregnancy_weeks": ("number", None),
    "member.postpartum_days": ("number", None),
    "member.disability": ("bool", None),
    "member.chronic_illness": ("bool", None),
    "member.receives_pension": ("bool", None),
    "household.insurance": ("code", INSURANCE_VALUES),
    "household.sisfoh": ("code", SISFOH_VALUES),
    "household.cse_months": ("number", None),
    "household.cse_date": ("text", None),
    "household.ubigeo": ("code", None),
    "household.in_coverage": ("bool", None),
    "household.size": ("number", None),
    "household.has_adult": ("bool", None),
    "household.has_child_under_3": ("bool", None),
    "household.has_child_under_5": ("bool", None),
    "household.has_minor": ("bool", None),
    "household.has_pregnant_member": ("bool", None),
    "household.has_member_65_plus": ("bool", None),
    "household.nrus_taxpayer": ("bool", None),
    "household.remype_employee": ("bool", None),
}

_LEAF_OPERATORS = ("eq", "in", "not_in", "is", "min", "max", "known")
_LEAF_KEYS = {"fact", "near_min", "near_max", *_LEAF_OPERATORS}
_TEXT_KEYS = ("pass", "fail", "confirm")
_MODIFIER_KEYS = {"if_unknown", "on_fail", "at_best"}
_NODE_COMMON_KEYS = {*_TEXT_KEYS, *_MODIFIER_KEYS}
_RULE_KEYS = {"scope", "condition", "eligible", "likely", "not_eligible"}
#: A fact's value inside a text, written ``{fact}``.
_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


class MatcherError(Exception):
    """Base class of the errors raised by the matcher."""


class RuleError(MatcherError, ValueError):
    """An eligibility rule is malformed.

    ``code`` and ``params`` identify the problem so that the Django layer can
    show a translated message; ``str(error)`` is an English message for logs.
    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(message % params if params else message)


class Truth(enum.IntEnum):
    """Truth value of a condition, ordered from worst to best."""

    FALSE = 0
    UNKNOWN = 1
    NEAR = 2
    TRUE = 3


@dataclass(frozen=True)
class Outcome:
    """Truth of a node and the text (``{"es", "en"}``) that explains it."""

    truth: Truth
    text: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Verdict:
    """Status of one member (or the household) for one programme."""

    status: str
    reason: str


# Validation -----------------------------------------------------------------


def validate_rule(rule: Any) -> None:
    """Raise RuleError unless ``rule`` is a well-formed eligibility rule.

    Checks the keys, the scope, the three status texts in Spanish and English,
    every node's operators, that each fact exists and suits its operator, and
    that a household rule reads no member fact.
    """
    if not isinstance(rule, dict):
        raise RuleError("not_object", "The rule must be a JSON object, got %(type)s.", type=type(rule).__name__)
    unknown_keys = sorted(set(rule) - _RULE_KEYS)
    if unknown_keys:
        raise RuleError("unknown_key", "Unknown key %(key)s at %(path)s.", key=unknown_keys[0], path="rule")
    for key in ("scope", "condition", "eligible", "likely", "not_eligible"):
        if key not in rule:
            raise RuleError("missing_key", "Missing key %(key)s at %(path)s.", key=key, path="rule")

    if rule["scope"] not in SCOPES:
        raise RuleError(
            "bad_scope", "Scope must be 'member' or 'household', got %(value)r.", value=rule["scope"]
        )
    for key in ("eligible", "likely", "not_eligible"):
        _validate_text(rule[key], f"rule.{key}")
    _validate_node(rule["condition"], "rule.condition", rule["scope"])


def _validate_text(text: Any, path: str) -> None:
    if not isinstance(text, dict):
        raise RuleError("bad_text", "%(path)s must be an object with 'es' and 'en' texts.", path=path)
    for language in LANGUAGES:
        value = text.get(language)
        if not isinstance(value, str) or not value.strip():
            raise RuleError("missing_text", "%(path)s has no %(language)s text.", path=path, language=language)
        for fact in _PLACEHOLDER.findall(value):
            if fact not in FACT_TYPES:
                raise RuleError("unknown_placeholder",
                                "%(path)s.%(language)s shows {%(fact)s}, which is not a fact; use one of %(facts)s.",
                                path=path, language=language, fact=fact, facts=", ".join(FACT_TYPES))


def _validate_node(node: Any, path: str, scope: str) -> None:
    if not isinstance(node, dict):
        raise RuleError("not_object", "%(path)s must be a JSON object, got %(type)s.", path=path,
                        type=type(node).__name__)
    for key in _TEXT_KEYS:
        if key in node:
            _validate_text(node[key], f"{path}.{key}")
    _validate_modifiers(node, path)

    composite = [key for key in ("all", "any") if key in node]
    if composite:
        _validate_composite(node, composite, path, scope)
    elif "fact" in node:
        _validate_leaf(node, path, scope)
    else:
        raise RuleError("empty_node", "%(path)s needs 'all', 'any' or 'fact'.", path=path)


def _validate_modifiers(node: dict, path: str) -> None:
    allowed = {"if_unknown": ("likely", "pass", "fail"), "on_fail": ("likely",), "at_best": ("likely",)}
    for key, values in allowed.items():
        if key in node and node[key] not in values:
            raise RuleError("bad_modifier", "%(path)s.%(key)s must be one of %(values)s, got %(value)r.",
                            path=path, key=key, values=", ".join(values), value=node[key])


def _validate_composite(node: dict, composite: list[str], path: str, scope: str) -> None:
    if len(composite) > 1 or "fact" in node:
        raise RuleError("mixed_node", "%(path)s mixes 'all', 'any' and 'fact'; split it.", path=path)
    key = composite[0]
    extra = sorted(set(node) - _NODE_COMMON_KEYS - {key})
    if extra:
        raise RuleError("unknown_key", "Unknown key %(key)s at %(path)s.", key=extra[0], path=path)
    children = node[key]
    if not isinstance(children, list) or not children:
        raise RuleError("empty_list", "%(path)s.%(key)s must be a non-empty list.", path=path, key=key)
    for index, child in enumerate(children):
        _validate_node(child, f"{path}.{key}[{index}]", scope)


def _validate_leaf(node: dict, path: str, scope: str) -> None:
    extra = sorted(set(node) - _NODE_COMMON_KEYS - _LEAF_KEYS)
    if extra:
        raise RuleError("unknown_key", "Unknown key %(key)s at %(path)s.", key=extra[0], path=path)
    fact = node["fact"]
    if fact not in FACT_TYPES:
        raise RuleError("unknown_fact", "Unknown fact %(fact)r at %(path)s; use one of %(facts)s.",
                        fact=fact, path=path, facts=", ".join(FACT_TYPES))
    if scope == "household" and fact.startswith("member."):
        raise RuleError("member_fact_in_household_rule",
                        "%(path)s reads %(fact)s, but a household rule has no member; use scope 'member'.",
                        path=path, fact=fact)

    operators = [key for key in _LEAF_OPERATORS if key in node]
    if not operators:
        raise RuleError("no_operator", "%(path)s tests nothing; add one of %(operators)s.",
                        path=path, operators=", ".join(_LEAF_OPERATORS))
    fact_type, allowed_values = FACT_TYPES[fact]
    for operator in operators:
        _validate_operand(node[operator], operator, fact, fact_type, allowed_values, path)
    for key in ("near_min", "near_max"):
        if key in node:
            bound = key.removeprefix("near_")
            if bound not in node or not _is_number(node[key]):
                raise RuleError("bad_near", "%(path)s.%(key)s needs a number and a '%(bound)s' beside it.",
                                path=path, key=key, bound=bound)


def _validate_operand(value: Any, operator: str, fact: str, fact_type: str,
                      allowed_values: tuple[str, ...] | None, path: str) -> None:
    if operator in ("is", "known"):
        expected_ok = isinstance(value, bool) and (operator == "known" or fact_type == "bool")
    elif operator in ("min", "max"):
        expected_ok = fact_type == "number" and _is_number(value)
    elif operator == "eq":
        expected_ok = fact_type != "bool" and _is_allowed(value, fact_type, allowed_values)
    else:
        expected_ok = (
            fact_type != "bool"
            and isinstance(value, list)
            and bool(value)
            and all(_is_allowed(item, fact_type, allowed_values) for item in value)
        )
    if not expected_ok:
        raise RuleError("bad_operand", "%(path)s: %(operator)s %(value)r does not suit the %(type)s fact %(fact)s.",
                        path=path, operator=operator, value=value, type=fact_type, fact=fact)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_allowed(value: Any, fact_type: str, allowed_values: tuple[str, ...] | None) -> bool:
    if fact_type == "number":
        return _is_number(value)
    if not isinstance(value, str):
        return False
    return allowed_values is None or value in allowed_values


# Facts -------------------------------------------------------------------------


def member_facts(member: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``member.*`` facts of one household member.

    ``member`` has the keys of the family form: age (years), sex, pregnant,
    pregnancy_weeks, postpartum_days (days since delivery), disability,
    chronic_illness, and optionally receives_pension. A member with a number
    of pregnancy weeks counts as pregnant even if ``pregnant`` is missing.
    """
    pregnant = member.get("pregnant")
    weeks = member.get("pregnancy_weeks")
    if pregnant is None and weeks is not None:
        pregnant = weeks > 0
    return {
        "member.age": member.get("age"),
        "member.sex": member.get("sex"),
        "member.pregnant": pregnant,
        "member.pregnancy_weeks": weeks,
        "member.postpartum_days": member.get("postpartum_days"),
        "member.disability": member.get("disability"),
        "member.chronic_illness": member.get("chronic_illness"),
        "member.receives_pension": member.get("receives_pension"),
    }


def household_facts(members: Iterable[Mapping[str, Any]], *, insurance: str, sisfoh: str,
                    ubigeo: str | None, extra: Mapping[str, Any] | None = None,
                    cse_month: datetime.date | None = None, today: datetime.date | None = None) -> dict[str, Any]:
    """Return the ``household.*`` facts, including the composition facts.

    ``sisfoh`` "unknown" (or any value outside the SISFOH classes) becomes a
    missing fact. ``cse_month`` is any day of the month of the household's
    CSE (None when not given) and ``today`` the evaluation date (default: the
    system date). ``extra`` sets facts the form does not ask, such as
    ``household.in_coverage`` for the programme being evaluated.
    """
    people = [member_facts(member) for member in members]
    ages = [person["member.age"] for person in people if person["member.age"] is not None]
    facts = {
        "household.insurance": insurance if insurance in INSURANCE_VALUES else None,
        "household.sisfoh": sisfoh if sisfoh in SISFOH_VALUES else None,
        "household.cse_months": None if cse_month is None else cse_age_months(cse_month, today),
        "household.cse_date": None if cse_month is None else cse_month.strftime("%m/%Y"),
        "household.ubigeo": ubigeo or None,
        "household.in_coverage": None,
        "household.size": len(people),
        "household.has_adult": any(age >= 18 for age in ages),
        "household.has_child_under_3": any(age < 3 for age in ages),
        "household.has_child_under_5": any(age < 5 for age in ages),
        "household.has_minor": any(age < 18 for age in ages),
        "household.has_pregnant_member": any(person["member.pregnant"] for person in people),
        "household.has_member_65_plus": any(age >= 65 for age in ages),
        "household.nrus_taxpayer": None,
        "household.remype_employee": None,
    }
    facts.update(extra or {})
    return facts


def cse_age_months(cse_month: datetime.date, today: datetime.date | None = None) -> int:
    """Return the whole months from the first day of ``cse_month``'s month to ``today``.

    The family gives only a month, so the CSE is taken as made on its first
    day, the earliest date it can have: a CSE of 03/2023 is 35 months old
    until 28/02/2026 and 36 months old (3 years) from 01/03/2026. A month in
    the future gives a negative number.
    """
    today = today or datetime.date.today()
    return (today.year - cse_month.year) * 12 + today.month - cse_month.month


# Evaluation ----------------------------------------------------------------------


def evaluate_rule(rule: Mapping[str, Any], facts: Mapping[str, Any], language: str) -> Verdict:
    """Evaluate a validated rule on one set of facts.

    Parameters
    ----------
    rule
        A rule that passed :func:`validate_rule`.
    facts
        ``household.*`` facts, plus ``member.*`` facts for a member rule.
        A fact that is missing or None is unknown.
    language
        "es" or "en"; anything else falls back to Spanish.

    Returns
    -------
    Verdict
        The status and a one-line reason in ``language``.
    """
    outcome = _evaluate_node(rule["condition"], facts)
    if outcome.truth is Truth.TRUE:
        status, default_key = ELIGIBLE, "eligible"
    elif outcome.truth is Truth.FALSE:
        status, default_key = NOT_ELIGIBLE, "not_eligible"
    else:
        status, default_key = LIKELY, "likely"
    return Verdict(status, _fill_placeholders(_pick_text(outcome.text or rule[default_key], language), facts))


def _pick_text(text: Mapping[str, str], language: str) -> str:
    return text.get(language) or text["es"]


def _fill_placeholders(text: str, facts: Mapping[str, Any]) -> str:
    """Replace each ``{fact}`` with the fact's value; a placeholder of an unknown fact stays as written."""
    def value(match: re.Match) -> str:
        fact_value = facts.get(match.group(1))
        return match.group(0) if fact_value is None else str(fact_value)

    return _PLACEHOLDER.sub(value, text)


def _evaluate_node(node: Mapping[str, Any], facts: Mapping[str, Any]) -> Outcome:
    if "all" in node:
        outcome = _evaluate_all(node, [_evaluate_node(child, facts) for child in node["all"]])
    elif "any" in node:
        outcome = _evaluate_any(node, [_evaluate_node(child, facts) for child in node["any"]])
    else:
        outcome = _evaluate_leaf(node, facts)
    return _apply_modifiers(node, outcome)


def _evaluate_all(node: Mapping[str, Any], outcomes: list[Outcome]) -> Outcome:
    worst = min(outcome.truth for outcome in outcomes)
    if worst is Truth.TRUE:
        return Outcome(Truth.TRUE, node.get("pass") or _first_text(outcomes, Truth.TRUE))
    # UNKNOWN and NEAR both mean "likely"; keep the first one's text.
    uncertain = (Truth.UNKNOWN, Truth.NEAR) if worst is not Truth.FALSE else (Truth.FALSE,)
    first = next(outcome for outcome in outcomes if outcome.truth in uncertain)
    key = "fail" if worst is Truth.FALSE else "confirm"
    return Outcome(first.truth, first.text or node.get(key))


def _evaluate_any(node: Mapping[str, Any], outcomes: list[Outcome]) -> Outcome:
    best = max(outcome.truth for outcome in outcomes)
    if best is Truth.TRUE:
        return Outcome(Truth.TRUE, _first_text(outcomes, Truth.TRUE) or node.get("pass"))
    if best is Truth.FALSE:
        return Outcome(Truth.FALSE, node.get("fail") or _first_text(outcomes, Truth.FALSE))
    first = next(outcome for outcome in outcomes if outcome.truth in (Truth.UNKNOWN, Truth.NEAR))
    return Outcome(first.truth, first.text or node.get("confirm"))


def _first_text(outcomes: list[Outcome], truth: Truth) -> Mapping[str, str] | None:
    return next((outcome.text for outcome in outcomes if outcome.truth is truth and outcome.text), None)


def _evaluate_leaf(node: Mapping[str, Any], facts: Mapping[str, Any]) -> Outcome:
    value = facts.get(node["fact"])
    if "known" in node:
        holds = (value is not None) == node["known"]
        return _leaf_outcome(node, Truth.TRUE if holds else Truth.FALSE)
    if value is None:
        return _leaf_outcome(node, Truth.UNKNOWN)

    holds = True
    if "eq" in node:
        holds = holds and value == node["eq"]
    if "in" in node:
        holds = holds and value in node["in"]
    if "not_in" in node:
        holds = holds and value not in node["not_in"]
    if "is" in node:
        holds = holds and bool(value) is node["is"]
    if holds and ("min" in node or "max" in node):
        return _leaf_outcome(node, _range_truth(node, value))
    return _leaf_outcome(node, Truth.TRUE if holds else Truth.FALSE)


def _range_truth(node: Mapping[str, Any], value: float) -> Truth:
    low, high = node.get("min", float("-inf")), node.get("max", float("inf"))
    if low <= value <= high:
        return Truth.TRUE
    near_low, near_high = node.get("near_min", low), node.get("near_max", high)
    if near_low <= value <= near_high:
        return Truth.NEAR
    return Truth.FALSE


def _leaf_outcome(node: Mapping[str, Any], truth: Truth) -> Outcome:
    key = {Truth.TRUE: "pass", Truth.FALSE: "fail"}.get(truth, "confirm")
    return Outcome(truth, node.get(key))


def _apply_modifiers(node: Mapping[str, Any], outcome: Outcome) -> Outcome:
    if outcome.truth is Truth.UNKNOWN:
        if_unknown = node.get("if_unknown", "likely")
        if if_unknown == "pass":
            return Outcome(Truth.TRUE, node.get("pass"))
        if if_unknown == "fail":
            return Outcome(Truth.FALSE, node.get("fail") or outcome.text)
    if outcome.truth is Truth.FALSE and node.get("on_fail") == "likely":
        return Outcome(Truth.NEAR, node.get("confirm") or outcome.text)
    if outcome.truth is Truth.TRUE and node.get("at_best") == "likely":
        return Outcome(Truth.NEAR, node.get("confirm") or outcome.text)
    return outcome


def best_status(statuses: Iterable[str]) -> str:
    """Return the best of ``statuses`` (``not_eligible`` when there are none)."""
    ranks = [STATUS_ORDER.index(status) for status in statuses]
    return STATUS_ORDER[min(ranks)] if ranks else NOT_ELIGIBLE


def evaluate_programme(rule: Mapping[str, Any], members: list[Mapping[str, Any]],
                       household: Mapping[str, Any], language: str) -> dict[str, Any]:
    """Evaluate a validated rule for a whole household.

    Parameters
    ----------
    rule
        A rule that passed :func:`validate_rule`.
    members
        One dict per member with the keys read by :func:`member_facts`.
    household
        Facts from :func:`household_facts`.
    language
        "es" or "en".

    Returns
    -------
    dict
        ``status`` (the best member status, or the household's for a household
        rule), ``reasons`` (the distinct reasons behind that status) and
        ``members`` (``index``, ``status``, ``reason`` per member; empty for a
        household rule, whose beneficiary is the household).
    """
    if rule["scope"] == "household":
        verdict = evaluate_rule(rule, household, language)
        return {"status": verdict.status, "reasons": [verdict.reason], "members": []}

    member_results = []
    for index, member in enumerate(members):
        verdict = evaluate_rule(rule, {**household, **member_facts(member)}, language)
        member_results.append({"index": index, "status": verdict.status, "reason": verdict.reason})

    status = best_status(result["status"] for result in member_results)
    reasons = list(dict.fromkeys(result["reason"] for result in member_results if result["status"] == status))
    return {"status": status, "reasons": reasons, "members": member_results}
