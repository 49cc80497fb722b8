"""The rule language: validation errors and four-valued evaluation on small hand-written rules."""
import copy

import pytest

from matcher.eligibility import ELIGIBLE, LIKELY, NOT_ELIGIBLE, RuleError, evaluate_rule, validate_rule


def text(label):
    return {"es": f"{label} (es)", "en": f"{label} (en)"}


def make_rule(condition, scope="member"):
    return {
        "scope": scope,
        "condition": condition,
        "eligible": text("eligible"),
        "likely": text("likely"),
        "not_eligible": text("not eligible"),
    }


AGE_10_TO_20 = {"fact": "member.age", "min": 10, "max": 20, "near_min": 8, "near_max": 21,
                "pass": text("age ok"), "fail": text("age out"), "confirm": text("confirm age")}
POOR = {"fact": "household.sisfoh", "in": ["pobre", "pobre_extremo"], "fail": text("not poor"),
        "confirm": text("confirm sisfoh")}


def verdict(condition, **facts):
    keyed = {f"{'household' if name in ('sisfoh', 'insurance') else 'member'}.{name}": value
             for name, value in facts.items()}
    return evaluate_rule(make_rule(condition), keyed, "en")


# Each case: age, expected status, expected reason.
@pytest.mark.parametrize(("age", "status", "reason"), [
    (10, ELIGIBLE, "age ok (en)"),  # lower bound is inclusive
    (20, ELIGIBLE, "age ok (en)"),  # upper bound is inclusive
    (8, LIKELY, "confirm age (en)"),  # inside the near band below
    (21, LIKELY, "confirm age (en)"),  # inside the near band above
    (7, NOT_ELIGIBLE, "age out (en)"),
    (22, NOT_ELIGIBLE, "age out (en)"),
    (None, LIKELY, "confirm age (en)"),  # unknown fact leans towards inclusion
])
def test_range_leaf(age, status, reason):
    result = verdict(AGE_10_TO_20, age=age)

    assert result.status == status
    assert result.reason == reason


def test_all_takes_first_failure():
    result = verdict({"all": [AGE_10_TO_20, POOR]}, age=30, sisfoh=None)

    assert result.status == NOT_ELIGIBLE
    assert result.reason == "age out (en)"


def test_all_with_unknown_is_likely():
    result = verdict({"all": [AGE_10_TO_20, POOR]}, age=12, sisfoh=None)

    assert result.status == LIKELY
    assert result.reason == "confirm sisfoh (en)"


def test_any_takes_first_success():
    result = verdict({"any": [POOR, AGE_10_TO_20]}, age=12, sisfoh="no_pobre")

    assert result.status == ELIGIBLE
    assert result.reason == "age ok (en)"


def test_any_failure_uses_node_text():
    node = {"any": [POOR, AGE_10_TO_20], "fail": text("neither")}

    result = verdict(node, age=40, sisfoh="no_pobre")

    assert result.status == NOT_ELIGIBLE
    assert result.reason == "neither (en)"


def test_default_texts_when_node_has_none():
    assert verdict({"fact": "member.age", "min": 1}, age=0).reason == "not eligible (en)"
    assert verdict({"fact": "member.age", "min": 1}, age=None).reason == "likely (en)"
    assert verdict({"fact": "member.age", "min": 1}, age=3).reason == "eligible (en)"


@pytest.mark.parametrize(("modifier", "value", "status"), [
    ({"if_unknown": "pass"}, None, ELIGIBLE),
    ({"if_unknown": "fail"}, None, NOT_ELIGIBLE),
    ({"on_fail": "likely"}, False, LIKELY),
    ({"at_best": "likely"}, True, LIKELY),
    ({"at_best": "likely"}, False, NOT_ELIGIBLE),
])
def test_modifiers(modifier, value, status):
    node = {"fact": "member.pregnant", "is": True, **modifier}

    assert verdict(node, pregnant=value).status == status


def test_known_operator_never_unknown():
    node = {"fact": "household.sisfoh", "known": False}

    assert verdict(node, sisfoh=None).status == ELIGIBLE
    assert verdict(node, sisfoh="pobre").status == NOT_ELIGIBLE


def test_valid_rule_passes_validation():
    validate_rule(make_rule({"all": [AGE_10_TO_20, POOR]}))


# Each case: how to break a valid rule, and the error code expected.
BROKEN_RULES = [
    (lambda rule: rule.pop("likely"), "missing_key"),
    (lambda rule: rule.update(extra=1), "unknown_key"),
    (lambda rule: rule.update(scope="family"), "bad_scope"),
    (lambda rule: rule["eligible"].pop("en"), "missing_text"),
    (lambda rule: rule.update(condition={"fact": "member.income", "min": 1}), "unknown_fact"),
    (lambda rule: rule.update(condition={"fact": "member.age"}), "no_operator"),
    (lambda rule: rule.update(condition={"fact": "member.age", "min": "10"}), "bad_operand"),
    (lambda rule: rule.update(condition={"fact": "household.sisfoh", "in": ["pobre extremo"]}), "bad_operand"),
    (lambda rule: rule.update(condition={"fact": "member.pregnant", "min": 1}), "bad_operand"),
    (lambda rule: rule.update(condition={"fact": "member.age", "min": 1, "near_max": 3}), "bad_near"),
    (lambda rule: rule.update(condition={"all": []}), "empty_list"),
    (lambda rule: rule.update(condition={"all": [POOR], "any": [POOR]}), "mixed_node"),
    (lambda rule: rule.update(condition={"pass": text("x")}), "empty_node"),
    (lambda rule: rule.update(condition={**POOR, "on_fail": "maybe"}), "bad_modifier"),
    (lambda rule: rule.update(scope="household"), "member_fact_in_household_rule"),
    (lambda rule: rule.update(condition=[POOR]), "not_object"),
]


@pytest.mark.parametrize(("breakage", "code"), BROKEN_RULES)
def test_validation_rejects_broken_rule(breakage, code):
    rule = copy.deepcopy(make_rule({"all": [AGE_10_TO_20, POOR]}))
    breakage(rule)

    with pytest.raises(RuleError) as caught:
        validate_rule(rule)

    assert caught.value.code == code


def test_validation_message_names_the_path():
    rule = make_rule({"all": [POOR, {"fact": "member.age", "min": "x"}]})

    with pytest.raises(RuleError, match=r"rule\.condition\.all\[1\]"):
        validate_rule(rule)
