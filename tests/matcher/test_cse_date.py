"""The month of the household's SISFOH classification (CSE): its age, the rules that read it, the API field."""
import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from geoservices.models import SearchRecord

from matcher.eligibility import (
    ELIGIBLE,
    LIKELY,
    NOT_ELIGIBLE,
    RuleError,
    cse_age_months,
    evaluate_programme,
    household_facts,
    validate_rule,
)
from matcher.rule_file import read_rule_file

RULE_FILE = Path(__file__).resolve().parents[2] / "data" / "programs" / "rules.json"
CSE_MONTH = datetime.date(2023, 3, 1)
#: Every programme whose rule needs a valid CSE.
CSE_PROGRAMMES = ("sis_gratuito", "juntos", "pension_65", "cuna_mas", "sisfoh")

ADULT = {"age": 40, "sex": "F", "pregnant": False}
#: A household that each CSE programme serves only through the CSE when it is
#: extremely poor. A child under 6 is left out of SIS Gratuito's household,
#: because young children are a priority group that needs no CSE.
HOUSEHOLDS = {
    "sis_gratuito": [ADULT],
    "juntos": [ADULT, {"age": 8, "sex": "M"}],
    "pension_65": [{"age": 70, "sex": "M", "receives_pension": False}],
    "cuna_mas": [ADULT, {"age": 1, "sex": "M"}],
    "sisfoh": [ADULT],
}


@pytest.fixture(scope="module")
def rules():
    return {entry["code"]: entry["rule"] for entry in read_rule_file(RULE_FILE)}


def evaluate(rules, code, *, today, cse_month=CSE_MONTH, sisfoh="pobre_extremo", language="es"):
    household = HOUSEHOLDS[code]
    facts = household_facts(household, insurance="none", sisfoh=sisfoh, ubigeo="150132",
                            cse_month=cse_month, today=today, extra={"household.in_coverage": True})
    return evaluate_programme(rules[code], household, facts, language)


# Each case: evaluation date, expected age in months. The CSE month is 03/2023.
@pytest.mark.parametrize(("today", "months"), [
    (datetime.date(2023, 3, 1), 0),
    (datetime.date(2026, 2, 28), 35),  # a day before 3 years
    (datetime.date(2026, 3, 1), 36),  # exactly 3 years
    (datetime.date(2026, 3, 2), 36),  # a day after 3 years
    (datetime.date(2023, 2, 28), -1),  # a month in the future
])
def test_cse_age_in_months(today, months):
    assert cse_age_months(CSE_MONTH, today) == months


@pytest.mark.parametrize("code", CSE_PROGRAMMES)
@pytest.mark.parametrize(("today", "expired"), [
    (datetime.date(2026, 2, 28), False),  # a day before 3 years
    (datetime.date(2026, 3, 1), True),  # exactly 3 years
    (datetime.date(2026, 3, 2), True),  # a day after 3 years
])
def test_expired_cse_gives_likely(rules, code, today, expired):
    result = evaluate(rules, code, today=today)

    assert result["status"] == (LIKELY if expired else ELIGIBLE)
    renew = "La CSE del hogar es de 03/2023 y venció a los 3 años: pida a la ULE de su municipalidad que la renueve."
    assert (renew in result["reasons"]) is expired


def test_expired_cse_reason_in_english(rules):
    result = evaluate(rules, "juntos", today=datetime.date(2026, 3, 1), language="en")

    assert result["reasons"] == [
        "The household's CSE dates from 03/2023 and expired after 3 years: ask the municipality's ULE to renew it."
    ]


@pytest.mark.parametrize("code", CSE_PROGRAMMES)
def test_unknown_cse_date_keeps_status(rules, code):
    without_date = evaluate(rules, code, today=datetime.date(2030, 1, 1), cse_month=None)

    assert without_date["status"] == ELIGIBLE


def test_expired_cse_does_not_rescue_not_poor(rules):
    result = evaluate(rules, "juntos", today=datetime.date(2030, 1, 1), sisfoh="no_pobre")

    assert result["status"] == NOT_ELIGIBLE


def test_pregnant_member_needs_no_cse_for_sis(rules):
    pregnant = [{"age": 25, "sex": "F", "pregnant": True}]
    facts = household_facts(pregnant, insurance="none", sisfoh="pobre", ubigeo="150132",
                            cse_month=CSE_MONTH, today=datetime.date(2030, 1, 1))

    assert evaluate_programme(rules["sis_gratuito"], pregnant, facts, "es")["status"] == ELIGIBLE


def test_cse_facts_without_date():
    facts = household_facts([ADULT], insurance="none", sisfoh="pobre", ubigeo=None)

    assert facts["household.cse_months"] is None
    assert facts["household.cse_date"] is None


def rule_with_placeholder(fact):
    return {
        "scope": "household",
        "condition": {"fact": "household.cse_months", "max": 35},
        "eligible": {"es": "ok", "en": "ok"},
        "likely": {"es": f"CSE de {{{fact}}}", "en": f"CSE from {{{fact}}}"},
        "not_eligible": {"es": "no", "en": "no"},
    }


def test_placeholder_must_name_a_fact():
    with pytest.raises(RuleError) as caught:
        validate_rule(rule_with_placeholder("household.cse_fecha"))

    assert caught.value.code == "unknown_placeholder"
    assert caught.value.params["fact"] == "household.cse_fecha"


def test_placeholder_on_known_fact_is_valid():
    validate_rule(rule_with_placeholder("household.cse_date"))


# The match API ------------------------------------------------------------------

SJL_POINT = {"lat": -11.9763, "lon": -77.0013}


def post_match(client, cse_month, language="es"):
    body = {
        "location": SJL_POINT,
        "household": [{"age": 40, "sex": "F"}, {"age": 8, "sex": "M"}],
        "needs": ["general_consultation"],
        "insurance": "none",
        "sisfoh": "pobre_extremo",
        "cse_month": cse_month,
        "mode": "walk",
    }
    return client.post("/api/v1/match/", json.dumps(body), content_type="application/json",
                       HTTP_ACCEPT_LANGUAGE=language)


def months_before_today(months):
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


# Each case: the value sent, words expected in the Spanish error.
BAD_CSE_MONTHS = [
    ("13/2024", "«13/2024» no es un mes y año"),
    ("marzo", "«marzo» no es un mes y año"),
    ("1990-05", "05/1990 es de hace más de 20 años"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "words"), BAD_CSE_MONTHS)
def test_api_rejects_bad_cse_month(client, value, words):
    response = post_match(client, value)

    assert response.status_code == 400
    assert any(words in message for message in response.json()["errors"]["cse_month"])


@pytest.mark.django_db
def test_api_rejects_future_cse_month(client):
    future = months_before_today(-1).strftime("%m/%Y")

    response = post_match(client, future)

    assert response.status_code == 400
    message = response.json()["errors"]["cse_month"][0]
    assert f"La fecha de la CSE {future} está en el futuro" in message


@pytest.mark.django_db
def test_api_accepts_current_month(client):
    response = post_match(client, timezone.localdate().strftime("%Y-%m"))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", None])
def test_api_empty_cse_month_is_unknown(client, value):
    response = post_match(client, value)

    assert response.status_code == 200
    statuses = {programme["code"]: programme["status"] for programme in response.json()["programs"]}
    assert statuses["sisfoh"] == "eligible"


@pytest.mark.django_db
def test_api_reports_expired_cse_and_stores_no_date(client):
    expired = months_before_today(40)

    response = post_match(client, expired.strftime("%Y-%m"))

    assert response.status_code == 200
    programmes = {programme["code"]: programme for programme in response.json()["programs"]}
    renew = f"La CSE del hogar es de {expired.strftime('%m/%Y')} y venció a los 3 años"
    for code in ("juntos", "sisfoh"):
        assert programmes[code]["status"] == "likely"
        assert any(reason.startswith(renew) for reason in programmes[code]["reasons"]), programmes[code]
    record = SearchRecord.objects.latest("id")
    stored = json.dumps([getattr(record, field.attname) for field in record._meta.fields], default=str)
    assert expired.strftime("%m/%Y") not in stored
    assert expired.strftime("%Y-%m") not in stored
