"""The family search with a promoted PyTorch ranker: results still pass every hard filter."""
import json

import pytest

from geoservices.models import Facility, FacilityService, InsuranceAcceptance
from matcher import ranking
from matcher.ltr import TrainingConfig
from matcher.ranker_registry import current_version, fit_ranker, promote, save_ranker
from tests.geoservices.test_api import SJL_POINT
from tests.matcher.test_ltr import make_sessions

pytestmark = pytest.mark.django_db

# Each case: needs, insurance, the insurance terms the search accepts for them.
SEARCHES = [
    (["prenatal_care"], "none", {"covered", "affiliation"}),
    (["emergency"], "essalud", {"covered", "affiliation", "emergency_only"}),
    (["dental", "vaccination"], "sis", {"covered", "affiliation"}),
]


@pytest.fixture
def promoted_ranker(tmp_path, monkeypatch):
    monkeypatch.setattr(ranking, "REGISTRY_DIR", tmp_path)
    ranker, _ = fit_ranker(make_sessions(40, seed=6), TrainingConfig(seed=3, epochs=3, batch_lists=8))
    version = save_ranker(ranker, tmp_path, metrics={}, data_summary={"data": "simulated"}, config=TrainingConfig())
    promote(tmp_path, version)
    ranking.reset_ranker_cache()
    yield version
    ranking.reset_ranker_cache()


@pytest.mark.parametrize(("needs", "insurance", "accepted_terms"), SEARCHES)
def test_ranked_results_pass_hard_filters(client, promoted_ranker, needs, insurance, accepted_terms):
    body = {"location": SJL_POINT, "household": [{"age": 30, "sex": "F"}], "needs": needs,
            "insurance": insurance, "sisfoh": "unknown", "mode": "walk"}

    response = client.post("/api/v1/match/", json.dumps(body), content_type="application/json")

    assert response.status_code == 200
    results = response.json()["facilities"]
    assert results
    terms = dict(InsuranceAcceptance.objects.filter(insurance=insurance).values_list("institution", "terms"))
    for result in results:
        facility = Facility.objects.get(renaes_code=result["renaes_code"])
        assert result["ranking_method"] == "pytorch"
        assert result["model_version"] == promoted_ranker
        assert facility.is_searchable and facility.is_operating, result["renaes_code"]
        assert terms.get(facility.institution) in accepted_terms, result["renaes_code"]
        offered = FacilityService.objects.filter(facility=facility, offered=True, service__needs__code__in=needs)
        assert offered.exists(), result["renaes_code"]


def test_committed_model_ranks_searches(client):
    ranking.reset_ranker_cache()
    promoted = current_version(ranking.REGISTRY_DIR)
    body = {"location": SJL_POINT, "household": [{"age": 30, "sex": "F"}], "needs": ["general_consultation"],
            "insurance": "sis", "sisfoh": "unknown", "mode": "walk"}

    response = client.post("/api/v1/match/", json.dumps(body), content_type="application/json")

    assert promoted is not None, "data/models/ranker/current.json names no model; run manage.py train_ranker"
    results = response.json()["facilities"]
    assert {result["ranking_method"] for result in results} == {"pytorch"}
    assert {result["model_version"] for result in results} == {promoted}
