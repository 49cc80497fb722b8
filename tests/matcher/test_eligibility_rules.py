"""Eligibility rules from data/programs/rules.json, evaluated without the database."""
import csv
from pathlib import Path

import pytest

from matcher.eligibility import (
    ELIGIBLE,
    LIKELY,
    NOT_ELIGIBLE,
    evaluate_programme,
    evaluate_rule,
    household_facts,
    member_facts,
)
from matcher.rule_file import read_rule_file

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
RULE_FILE = DATA_DIR / "programs" / "rules.json"
SOURCE_TABLE = DATA_DIR / "peru" / "programs" / "programas_sociales_elegibilidad.csv"

EXPECTED_CODES = {
    "sis_gratuito", "sis_para_todos", "sis_independiente", "sis_emprendedor", "sis_microempresa",
    "essalud", "juntos", "pension_65", "cuna_mas", "cred", "vacunacion", "sisfoh",
}


@pytest.fixture(scope="module")
def rules():
    return {entry["code"]: entry["rule"] for entry in read_rule_file(RULE_FILE)}


def status_of(rule, member, *, insurance="none", sisfoh="unknown", extra=None, members=None):
    """Status of ``member`` in a household of ``members`` (default: the member alone)."""
    household = household_facts(members or [member], insurance=insurance, sisfoh=sisfoh,
                                ubigeo="150132", extra=extra)
    return evaluate_rule(rule, {**household, **member_facts(member)}, "es").status


def household_status(rule, members, *, insurance="none", sisfoh="unknown"):
    household = household_facts(members, insurance=insurance, sisfoh=sisfoh, ubigeo="150132")
    return evaluate_programme(rule, members, household, "es")["status"]


def test_rule_file_covers_the_twelve_programmes():
    entries = read_rule_file(RULE_FILE)

    assert {entry["code"] for entry in entries} == EXPECTED_CODES
    assert len(entries) == 12


def test_rule_file_cites_the_source_table_rows():
    with SOURCE_TABLE.open(encoding="utf-8") as handle:
        rows = {row["programa_id"]: row for row in csv.DictReader(handle)}

    for entry in read_rule_file(RULE_FILE):
        row = rows[entry["source_id"]]
        table_sources = [source.strip() for source in row["fuentes"].split(";") if source.strip()]
        assert entry["sources"] == table_sources, entry["code"]
    assert len(rows) == 12


# Each case: programme, member, household insurance, SISFOH class, expected status.
MEMBER_CASES = [
    # SIS Gratuito: poverty, priority groups, other insurance, boundary ages.
    ("sis_gratuito", {"age": 40, "sex": "M"}, "none", "pobre", ELIGIBLE),
    ("sis_gratuito", {"age": 40, "sex": "M"}, "none", "no_pobre", NOT_ELIGIBLE),
    ("sis_gratuito", {"age": 40, "sex": "M"}, "none", "unknown", LIKELY),
    ("sis_gratuito", {"age": 27, "sex": "F", "pregnant": True}, "none", "no_pobre", ELIGIBLE),
    ("sis_gratuito", {"age": 27, "sex": "F", "postpartum_days": 42}, "none", "no_pobre", ELIGIBLE),
    ("sis_gratuito", {"age": 27, "sex": "F", "postpartum_days": 43}, "none", "no_pobre", NOT_ELIGIBLE),
    ("sis_gratuito", {"age": 5, "sex": "M"}, "none", "no_pobre", ELIGIBLE),
    ("sis_gratuito", {"age": 6, "sex": "M"}, "none", "no_pobre", LIKELY),  # Qali Warma pupil?
    ("sis_gratuito", {"age": 17, "sex": "F"}, "none", "no_pobre", LIKELY),
    ("sis_gratuito", {"age": 18, "sex": "F"}, "none", "no_pobre", NOT_ELIGIBLE),
    ("sis_gratuito", {"age": 27, "sex": "F", "pregnant": True}, "essalud", "pobre", NOT_ELIGIBLE),
    ("sis_gratuito", {"age": 2, "sex": "F"}, "other", "pobre_extremo", NOT_ELIGIBLE),
    # EsSalud: minors are dependants, adults must confirm their link to the holder.
    ("essalud", {"age": 17, "sex": "M"}, "essalud", "no_pobre", ELIGIBLE),
    ("essalud", {"age": 18, "sex": "M"}, "essalud", "no_pobre", LIKELY),
    ("essalud", {"age": 0, "sex": "F"}, "none", "no_pobre", NOT_ELIGIBLE),
    # Juntos: children up to 17, 18 and 19 only while in secondary school, pregnant women.
    ("juntos", {"age": 0, "sex": "F"}, "sis", "pobre", LIKELY),  # district coverage unknown
    ("juntos", {"age": 18, "sex": "F"}, "sis", "pobre", LIKELY),
    ("juntos", {"age": 19, "sex": "F"}, "sis", "pobre", LIKELY),
    ("juntos", {"age": 20, "sex": "F"}, "sis", "pobre", NOT_ELIGIBLE),
    ("juntos", {"age": 30, "sex": "F", "pregnant": True}, "none", "no_pobre", NOT_ELIGIBLE),
    ("juntos", {"age": 30, "sex": "M"}, "none", "pobre_extremo", NOT_ELIGIBLE),
    # Pensión 65: 65 and extreme poverty; over 75 and poor only likely (2026 reform).
    ("pension_65", {"age": 65, "sex": "F"}, "none", "pobre_extremo", ELIGIBLE),
    ("pension_65", {"age": 64, "sex": "F"}, "none", "pobre_extremo", NOT_ELIGIBLE),
    ("pension_65", {"age": 70, "sex": "F"}, "none", "pobre", NOT_ELIGIBLE),
    ("pension_65", {"age": 75, "sex": "F"}, "none", "pobre", LIKELY),
    ("pension_65", {"age": 74, "sex": "F"}, "none", "pobre", NOT_ELIGIBLE),
    ("pension_65", {"age": 70, "sex": "M"}, "none", "unknown", LIKELY),
    ("pension_65", {"age": 70, "sex": "M"}, "essalud", "pobre_extremo", LIKELY),  # pensioner?
    ("pension_65", {"age": 70, "sex": "M", "receives_pension": True}, "none", "pobre_extremo", NOT_ELIGIBLE),
    ("pension_65", {"age": 70, "sex": "M", "receives_pension": False}, "sis", "pobre_extremo", ELIGIBLE),
    # Cuna Más: under 36 months (age 0 to 2) or pregnant, poor, targeted district.
    ("cuna_mas", {"age": 2, "sex": "M"}, "sis", "pobre", LIKELY),
    ("cuna_mas", {"age": 3, "sex": "M"}, "sis", "pobre", NOT_ELIGIBLE),
    ("cuna_mas", {"age": 1, "sex": "M"}, "sis", "no_pobre", NOT_ELIGIBLE),
    # CRED: birth to 4 years 11 months.
    ("cred", {"age": 0, "sex": "F"}, "none", "unknown", ELIGIBLE),
    ("cred", {"age": 4, "sex": "F"}, "none", "unknown", ELIGIBLE),
    ("cred", {"age": 5, "sex": "F"}, "none", "unknown", NOT_ELIGIBLE),
    # Vaccination: universal.
    ("vacunacion", {"age": 0, "sex": "M"}, "essalud", "no_pobre", ELIGIBLE),
    ("vacunacion", {"age": 45, "sex": "M"}, "other", "no_pobre", ELIGIBLE),
    ("vacunacion", {"age": 30, "sex": "F", "pregnant": True}, "none", "unknown", ELIGIBLE),
]


@pytest.mark.parametrize(("code", "member", "insurance", "sisfoh", "expected"), MEMBER_CASES)
def test_member_rule_cases(rules, code, member, insurance, sisfoh, expected):
    assert status_of(rules[code], member, insurance=insurance, sisfoh=sisfoh) == expected


# Each case: programme, household insurance, SISFOH class, expected household status.
HOUSEHOLD_CASES = [
    ("sis_para_todos", "none", "no_pobre", ELIGIBLE),
    ("sis_para_todos", "sis", "unknown", ELIGIBLE),
    ("sis_para_todos", "essalud", "unknown", NOT_ELIGIBLE),
    ("sis_para_todos", "other", "pobre", NOT_ELIGIBLE),
    ("sis_independiente", "none", "no_pobre", ELIGIBLE),
    ("sis_independiente", "essalud", "no_pobre", NOT_ELIGIBLE),
    ("sis_emprendedor", "none", "no_pobre", LIKELY),  # NRUS membership is never asked
    ("sis_emprendedor", "other", "no_pobre", NOT_ELIGIBLE),
    ("sis_microempresa", "sis", "pobre", NOT_ELIGIBLE),  # already insured by SIS
    ("sis_microempresa", "essalud", "pobre", NOT_ELIGIBLE),
    ("sisfoh", "none", "unknown", ELIGIBLE),
    ("sisfoh", "none", "pobre", ELIGIBLE),
]


@pytest.mark.parametrize(("code", "insurance", "sisfoh", "expected"), HOUSEHOLD_CASES)
def test_household_rule_cases(rules, code, insurance, sisfoh, expected):
    members = [{"age": 35, "sex": "F"}, {"age": 3, "sex": "M"}]

    assert household_status(rules[code], members, insurance=insurance, sisfoh=sisfoh) == expected


def test_household_rule_has_no_member_results(rules):
    household = household_facts([{"age": 30}], insurance="none", sisfoh="unknown", ubigeo=None)

    result = evaluate_programme(rules["sisfoh"], [{"age": 30}], household, "en")

    assert result["members"] == []
    assert "request it" in result["reasons"][0]


def test_sisfoh_without_adult_is_likely(rules):
    assert household_status(rules["sisfoh"], [{"age": 16, "sex": "F"}]) == LIKELY


@pytest.mark.parametrize(("in_coverage", "expected"), [(True, ELIGIBLE), (False, NOT_ELIGIBLE), (None, LIKELY)])
def test_juntos_follows_district_coverage(rules, in_coverage, expected):
    member = {"age": 8, "sex": "F"}

    status = status_of(rules["juntos"], member, insurance="sis", sisfoh="pobre_extremo",
                       extra={"household.in_coverage": in_coverage})

    assert status == expected


def test_pregnant_woman_without_insurance(rules):
    member = {"age": 27, "sex": "F", "pregnant": True, "pregnancy_weeks": 20}

    assert status_of(rules["sis_gratuito"], member, insurance="none", sisfoh="unknown") == ELIGIBLE
    assert household_status(rules["sis_para_todos"], [member], insurance="none") == ELIGIBLE
    assert status_of(rules["cuna_mas"], member, insurance="none", sisfoh="unknown") == LIKELY
    assert status_of(rules["essalud"], member, insurance="none") == NOT_ELIGIBLE
    assert status_of(rules["pension_65"], member, insurance="none") == NOT_ELIGIBLE


def test_pregnancy_weeks_imply_pregnancy():
    assert member_facts({"age": 30, "pregnancy_weeks": 12})["member.pregnant"] is True
    assert member_facts({"age": 30})["member.pregnant"] is None


def test_likely_reason_names_the_fact_to_confirm(rules):
    household = household_facts([{"age": 40}], insurance="none", sisfoh="unknown", ubigeo=None)

    verdict = evaluate_rule(rules["sis_gratuito"], {**household, **member_facts({"age": 40})}, "en")

    assert verdict.status == LIKELY
    assert "Confirm the household's socioeconomic classification" in verdict.reason


def test_programme_status_is_best_member(rules):
    members = [{"age": 40, "sex": "M"}, {"age": 3, "sex": "F"}, {"age": 12, "sex": "F"}]
    household = household_facts(members, insurance="none", sisfoh="unknown", ubigeo=None)

    result = evaluate_programme(rules["cred"], members, household, "es")

    assert result["status"] == ELIGIBLE
    assert [member["status"] for member in result["members"]] == [NOT_ELIGIBLE, ELIGIBLE, NOT_ELIGIBLE]
    assert len(result["reasons"]) == 1


def test_reasons_follow_the_language(rules):
    member = {"age": 70, "sex": "M"}
    household = household_facts([member], insurance="none", sisfoh="pobre_extremo", ubigeo=None)
    facts = {**household, **member_facts(member)}

    spanish = evaluate_rule(rules["pension_65"], facts, "es").reason
    english = evaluate_rule(rules["pension_65"], facts, "en").reason
    fallback = evaluate_rule(rules["pension_65"], facts, "qu").reason

    assert spanish.startswith("Tiene 65 años o más")
    assert english.startswith("Is 65 or over")
    assert fallback == spanish
