"""Programmes and rule versions in PostGIS: load_programs, evaluate_programmes and the admin."""
import json
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from matcher.models import EligibilityRule, Programme
from matcher.rule_file import read_rule_file
from matcher.services import evaluate_programmes
from tests.matcher.test_eligibility_rules import RULE_FILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def programmes():
    """The programmes of the committed rule file (load_data loads them too; the rerun is idempotent)."""
    call_command("load_programs", verbosity=0)
    return Programme.objects.all()


def by_code(results):
    return {result["code"]: result for result in results}


def test_load_programs_creates_version_one(programmes):
    active = EligibilityRule.objects.filter(is_active=True)

    assert programmes.count() == 12
    assert active.count() == 12
    assert set(active.values_list("version", flat=True)) == {1}
    assert set(active.values_list("source", flat=True)) == {"file"}


def test_load_programs_rerun_changes_nothing(programmes, capsys):
    call_command("load_programs")

    assert EligibilityRule.objects.count() == 12
    assert "0 created, 0 updated, 12 skipped, 0 failed; 0 new rule versions" in capsys.readouterr().out


def test_changed_rule_gets_new_version(programmes, tmp_path):
    document = json.loads(RULE_FILE.read_text(encoding="utf-8"))
    cred = next(entry for entry in document["programmes"] if entry["code"] == "cred")
    cred["rule"]["condition"]["max"] = 3
    changed_file = tmp_path / "rules.json"
    changed_file.write_text(json.dumps(document), encoding="utf-8")

    call_command("load_programs", file=changed_file, verbosity=0)

    versions = EligibilityRule.objects.filter(programme__code="cred").order_by("version")
    assert [(rule.version, rule.is_active) for rule in versions] == [(1, False), (2, True)]
    assert versions[1].rule["condition"]["max"] == 3
    assert EligibilityRule.objects.count() == 13


def test_dry_run_writes_nothing(db, capsys):
    Programme.objects.all().delete()

    call_command("load_programs", dry_run=True)

    output = capsys.readouterr().out
    assert Programme.objects.count() == 0
    assert "Dry run: nothing was written." in output
    assert "12 created" in output


def test_pregnant_woman_without_insurance(programmes):
    household = [{"age": 27, "sex": "F", "pregnant": True, "pregnancy_weeks": 24}]

    results = by_code(evaluate_programmes(household, insurance="none", sisfoh="unknown",
                                          ubigeo="150132", language="es"))

    assert results["sis_gratuito"]["status"] == "eligible"
    assert "gestantes" in results["sis_gratuito"]["reasons"][0]
    assert results["sis_para_todos"]["status"] == "eligible"
    assert results["juntos"]["status"] == "likely"
    assert results["cuna_mas"]["status"] == "likely"
    assert results["essalud"]["status"] == "not_eligible"
    assert results["sisfoh"]["status"] == "eligible"
    assert results["sis_gratuito"]["documents"] == ["DNI (o carné de extranjería) de cada persona que se afilia"]
    assert results["sis_gratuito"]["rule_version"] == 1


def test_essalud_household(programmes):
    household = [{"age": 38, "sex": "M"}, {"age": 35, "sex": "F"}, {"age": 6, "sex": "F"}]

    results = by_code(evaluate_programmes(household, insurance="essalud", sisfoh="no_pobre",
                                          ubigeo="150132", language="en"))

    assert results["essalud"]["status"] == "eligible"
    assert [member["status"] for member in results["essalud"]["members"]] == ["likely", "likely", "eligible"]
    for code in ("sis_gratuito", "sis_para_todos", "sis_independiente"):
        assert results[code]["status"] == "not_eligible", code
        assert "EsSalud" in results[code]["reasons"][0], code
    assert results["essalud"]["name"] == "EsSalud regular insurance"


def test_seventy_year_old_in_extreme_poverty(programmes):
    household = [{"age": 70, "sex": "M"}]

    results = by_code(evaluate_programmes(household, insurance="none", sisfoh="pobre_extremo",
                                          ubigeo="080101", language="es"))

    assert results["pension_65"]["status"] == "eligible"
    assert "Formulario 1000" in " ".join(results["pension_65"]["documents"])
    assert results["sis_gratuito"]["status"] == "eligible"
    assert results["cred"]["status"] == "not_eligible"


def test_results_sorted_best_status_first(programmes):
    results = evaluate_programmes([{"age": 30, "sex": "M"}], insurance="none", sisfoh="no_pobre",
                                  ubigeo=None, language="es")
    order = {"eligible": 0, "likely": 1, "not_eligible": 2}

    ranks = [order[result["status"]] for result in results]

    assert ranks == sorted(ranks)
    assert len(results) == 12


def test_coverage_list_decides_juntos(programmes):
    Programme.objects.filter(code="juntos").update(coverage_ubigeos=["080101"])
    household = [{"age": 8, "sex": "F"}, {"age": 30, "sex": "F"}]

    inside = by_code(evaluate_programmes(household, insurance="sis", sisfoh="pobre", ubigeo="080101",
                                         language="es"))
    outside = by_code(evaluate_programmes(household, insurance="sis", sisfoh="pobre", ubigeo="150132",
                                          language="es"))

    assert inside["juntos"]["status"] == "eligible"
    assert outside["juntos"]["status"] == "not_eligible"


def test_broken_rule_is_skipped_and_logged(programmes, caplog):
    EligibilityRule.objects.filter(programme__code="cred", is_active=True).update(rule={"scope": "member"})

    with caplog.at_level(logging.ERROR, logger="matcher.services"):
        results = evaluate_programmes([{"age": 2}], insurance="none", sisfoh="pobre", ubigeo=None, language="es")

    assert "cred" not in by_code(results)
    assert len(results) == 11
    assert "Skipped cred v1: invalid rule" in caplog.text


def test_rule_file_matches_loaded_programmes(programmes):
    for entry in read_rule_file(RULE_FILE):
        programme = Programme.objects.get(code=entry["code"])
        assert programme.name_es == entry["name"]["es"]
        assert programme.documents_en == entry["documents"]["en"]
        assert programme.sources == entry["sources"]


@pytest.fixture
def admin_client_es(client, admin_user):
    client.force_login(admin_user)
    client.cookies["geosalud_language"] = "es"
    return client


def test_admin_rejects_invalid_rule_in_spanish(programmes, admin_client_es):
    rule_version = EligibilityRule.objects.get(programme__code="cred", is_active=True)
    broken = {**rule_version.rule, "scope": "familia"}
    url = reverse("admin:matcher_eligibilityrule_change", args=[rule_version.pk])

    response = admin_client_es.post(url, {"rule": json.dumps(broken), "change_note": "prueba"},
                                    HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 200
    assert "El alcance familia no es válido" in response.content.decode()
    assert EligibilityRule.objects.filter(programme__code="cred").count() == 1


def test_admin_change_saves_new_version(programmes, admin_client_es, admin_user):
    rule_version = EligibilityRule.objects.get(programme__code="cred", is_active=True)
    changed = json.loads(json.dumps(rule_version.rule))
    changed["condition"]["max"] = 3
    url = reverse("admin:matcher_eligibilityrule_change", args=[rule_version.pk])

    response = admin_client_es.post(url, {"rule": json.dumps(changed), "change_note": "CRED hasta 3 años"})

    assert response.status_code == 302
    versions = EligibilityRule.objects.filter(programme__code="cred").order_by("version")
    assert [(rule.version, rule.is_active) for rule in versions] == [(1, False), (2, True)]
    assert versions[1].created_by == admin_user
    assert versions[1].source == "admin"
    assert versions[0].rule["condition"]["max"] == 4


@pytest.mark.parametrize("model", ["programme", "eligibilityrule", "feedback"])
def test_admin_lists_render(programmes, admin_client_es, model):
    response = admin_client_es.get(reverse(f"admin:matcher_{model}_changelist"))

    assert response.status_code == 200


def test_admin_programme_page_shows_versions(programmes, admin_client_es):
    programme = Programme.objects.get(code="juntos")

    response = admin_client_es.get(reverse("admin:matcher_programme_change", args=[programme.pk]))

    assert response.status_code == 200
    assert "Loaded from rules.json" in response.content.decode()


def test_sis_household_paid_plans_rejected(programmes):
    household = [{"age": 35, "sex": "F"}, {"age": 4}]
    results = by_code(evaluate_programmes(household, insurance="sis", sisfoh="pobre", ubigeo="050101", language="es"))

    for code in ("sis_independiente", "sis_emprendedor", "sis_microempresa"):
        assert results[code]["status"] == "not_eligible", code
        assert "ya tiene SIS" in results[code]["reasons"][0], code
    assert results["sis_para_todos"]["status"] == "eligible"
    assert "ya tiene SIS" in results["sis_para_todos"]["reasons"][0]
    assert "Si ya lo tiene" in results["sis_para_todos"]["next_step"]
