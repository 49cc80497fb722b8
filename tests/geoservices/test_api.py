"""The public API against the real data: the family search, errors and GeoJSON layers."""
import json

import pytest

from geoservices.models import SearchRecord
from matcher import ranking

pytestmark = pytest.mark.django_db

# A street corner in San Juan de Lurigancho (Canto Grande), inside the OSM extract.
SJL_POINT = {"lat": -11.9763, "lon": -77.0013}

PREGNANT_WITHOUT_INSURANCE = {
    "location": SJL_POINT,
    "household": [{"age": 27, "sex": "F", "pregnant": True}],
    "needs": ["prenatal_care"],
    "insurance": "none",
    "sisfoh": "pobre",
    "mode": "walk",
}


def post_match(client, body, language="es"):
    return client.post(
        "/api/v1/match/", json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )


def with_changes(**changes):
    return {**PREGNANT_WITHOUT_INSURANCE, **changes}


BAD_INPUTS = [
    # (case, body, field, words expected in the Spanish message)
    ("point in Madrid", with_changes(location={"lat": 40.4, "lon": -3.7}), "location", "fuera del Perú"),
    ("point in the Pacific", with_changes(location={"lat": -12.2, "lon": -79.5}), "location", "fuera del Perú"),
    ("age above 120", with_changes(household=[{"age": 130}]), "household.0.age", "120"),
    ("negative age", with_changes(household=[{"age": -1}]), "household.0.age", "0"),
    ("age not a number", with_changes(household=[{"age": "veinte"}]), "household.0.age", "número"),
    ("empty household", with_changes(household=[]), "household", "al menos"),
    ("unknown need", with_changes(needs=["masaje"]), "needs", "masaje"),
    ("no need", with_changes(needs=[]), "needs", "al menos"),
    ("unknown ubigeo", with_changes(location={"ubigeo": "999999"}), "location", "999999"),
    ("malformed ubigeo", with_changes(location={"ubigeo": "15-01"}), "location.ubigeo", "6"),
    ("no location", with_changes(location={}), "location", "lat"),
    ("only latitude", with_changes(location={"lat": -12.0}), "location", "lon"),
    ("unknown insurance", with_changes(insurance="ONP"), "insurance", "ONP"),
    ("pregnant man", with_changes(household=[{"age": 30, "sex": "M", "pregnant": True}]), "household.0", "embarazada"),
    ("age left empty", with_changes(household=[{"age": None}]), "household.0.age", "edad de cada integrante"),
]


@pytest.mark.parametrize(("case", "body", "field", "words"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_returns_400_in_spanish(client, case, body, field, words):
    response = post_match(client, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors, errors
    assert any(words in message for message in errors[field]), errors[field]


def test_bad_input_in_english_on_request(client):
    response = post_match(client, with_changes(location={"lat": 40.4, "lon": -3.7}), language="en")
    assert response.status_code == 400
    assert "outside Peru" in response.json()["errors"]["location"][0]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/match/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "no es un JSON válido" in response.json()["errors"]["non_field_errors"][0]


def test_age_limit_message_follows_language(client):
    body = with_changes(household=[{"age": 130}])
    english = post_match(client, body, language="en").json()["errors"]["household.0.age"][0]
    spanish = post_match(client, body).json()["errors"]["household.0.age"][0]
    assert english.startswith("The age 130 is above 120")
    assert spanish.startswith("La edad 130 es mayor que 120")


@pytest.mark.parametrize("age, spanish_words, english_words", [
    (150, "La edad 150 es mayor que 120", "The age 150 is above 120"),
    (2.5, "La edad «2.5» no es un número entero", "The age “2.5” is not a whole number"),
    ("dos", "La edad «dos» no es un número entero", "The age “dos” is not a whole number"),
    (-1, "La edad -1 es menor que 0", "The age -1 is below 0"),
])
def test_bad_age_message_names_value(client, age, spanish_words, english_words):
    body = with_changes(household=[{"age": age}])
    spanish = post_match(client, body).json()["errors"]["household.0.age"][0]
    english = post_match(client, body, language="en").json()["errors"]["household.0.age"][0]
    assert spanish.startswith(spanish_words), spanish
    assert english.startswith(english_words), english


def test_district_search_starts_in_its_capital(client):
    body = post_match(client, with_changes(location={"ubigeo": "080101"}, mode="walk")).json()
    start = body["search"]["location"]
    # The populated place 0801010001 is the city of Cusco, near the Plaza de Armas.
    assert start["lat"] == pytest.approx(-13.5193, abs=0.001)
    assert start["lon"] == pytest.approx(-71.9768, abs=0.001)
    assert body["facilities"][0]["travel_time_min"] < 30


def test_sjl_search_returns_ranked_real_facilities(client, tmp_path, monkeypatch):
    # An empty model registry: the search ranks nearest first, so travel times must rise.
    monkeypatch.setattr(ranking, "REGISTRY_DIR", tmp_path)
    ranking.reset_ranker_cache()
    response = post_match(client, PREGNANT_WITHOUT_INSURANCE)
    ranking.reset_ranker_cache()
    assert response.status_code == 200
    facilities = response.json()["facilities"]
    assert len(facilities) >= 5
    assert [facility["rank"] for facility in facilities] == list(range(1, len(facilities) + 1))
    assert {facility["ranking_method"] for facility in facilities} == {"nearest_first"}
    times = [facility["travel_time_min"] for facility in facilities]
    assert times == sorted(times)
    assert facilities[0]["travel_time_source"] == "road_network"
    for facility in facilities:
        assert facility["institution"] in {"minsa", "gobierno_regional", "municipalidad"}
        assert len(facility["renaes_code"]) == 8
        assert facility["reasons"]


def test_search_offers_only_facilities_with_the_service(client):
    response = post_match(client, with_changes(needs=["childbirth"]))
    categories = {facility["category"] for facility in response.json()["facilities"]}
    assert categories
    assert categories <= {"I-4", "II-1", "II-2", "III-1", "III-2"}


def test_essalud_household_gets_essalud_facilities(client):
    body = with_changes(insurance="essalud", needs=["general_consultation"], mode="drive")
    facilities = post_match(client, body).json()["facilities"]
    assert facilities
    assert {facility["institution"] for facility in facilities} == {"essalud"}


def test_search_outside_road_graphs_is_marked_estimate(client):
    # Putumayo, Loreto: no road of the OSM or MTC graphs reaches it; travel is by river.
    body = with_changes(location={"ubigeo": "160801"})
    facilities = post_match(client, body).json()["facilities"]
    assert facilities
    assert {facility["travel_time_source"] for facility in facilities} == {"estimate"}
    assert "línea recta" in facilities[0]["travel_time_method"]


def test_search_returns_programmes(client):
    programmes = post_match(client, PREGNANT_WITHOUT_INSURANCE).json()["programs"]
    by_code = {programme["code"]: programme for programme in programmes}
    assert by_code["sis_gratuito"]["status"] in {"eligible", "likely"}
    assert by_code["sis_gratuito"]["reasons"]


def test_search_record_is_coarse(client):
    post_match(client, PREGNANT_WITHOUT_INSURANCE)
    record = SearchRecord.objects.latest("id")
    assert record.coarse_location.x == pytest.approx(-77.0)
    assert record.coarse_location.y == pytest.approx(-11.98)
    assert record.age_bands == ["18-59"]
    assert record.ubigeo == "150132"


def test_places_search_ignores_accents_and_case(client):
    results = client.get("/api/v1/places/", {"q": "san juan de lurigancho"}).json()["results"]
    assert any(result["kind"] == "district" and result["ubigeo"] == "150132" for result in results)
    accented = client.get("/api/v1/places/", {"q": "ASUNCION"}).json()["results"]
    assert any(result["name"] == "Asunción" for result in accented)


def test_places_search_tolerates_a_typo(client):
    results = client.get("/api/v1/places/", {"q": "Luriganco"}).json()["results"]
    assert any("Lurigancho" in result["name"] for result in results)


def test_places_search_needs_two_letters(client):
    response = client.get("/api/v1/places/", {"q": "a"})
    assert response.status_code == 400
    assert "q" in response.json()["errors"]


def test_facilities_in_bbox_are_geojson(client):
    body = client.get("/api/v1/facilities/", {"bbox": "-77.05,-12.02,-76.95,-11.93"}).json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) > 10
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert -77.05 <= lon <= -76.95
    assert -12.02 <= lat <= -11.93


@pytest.mark.parametrize("bbox", ["abc", "-76,-12,-77,-11", "-80,-18,-70,-3"])
def test_facilities_bad_bbox_is_400(client, bbox):
    response = client.get("/api/v1/facilities/", {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.json()["errors"]


def test_district_is_geojson_with_figures(client):
    body = client.get("/api/v1/districts/150132/").json()
    assert body["type"] == "Feature"
    assert body["geometry"]["type"] == "MultiPolygon"
    assert body["properties"]["population_2017"] > 1_000_000


def test_unknown_district_is_404(client):
    response = client.get("/api/v1/districts/999999/")
    assert response.status_code == 404
    assert "999999" in response.json()["errors"]["non_field_errors"][0]


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_sjl_times_match_independent_shortest_paths(client, mode):
    import networkx as nx
    import osmnx as ox

    from routing.estimate import haversine_m, walk_leg
    from tests.routing.test_travel_times import _reference_graphs

    reference = _reference_graphs()[mode]
    facilities = post_match(client, with_changes(mode=mode)).json()["facilities"]
    routed = [facility for facility in facilities if facility["travel_time_source"] == "road_network"]
    assert len(routed) >= 5

    origin = ox.distance.nearest_nodes(reference, SJL_POINT["lon"], SJL_POINT["lat"])
    node_times = nx.single_source_dijkstra_path_length(reference, origin, weight="travel_time")
    origin_xy = reference.nodes[origin]["x"], reference.nodes[origin]["y"]
    _, access_s = walk_leg(haversine_m(SJL_POINT["lon"], SJL_POINT["lat"], *origin_xy))
    for facility in routed:
        lon, lat = facility["location"]["lon"], facility["location"]["lat"]
        node = ox.distance.nearest_nodes(reference, lon, lat)
        _, egress_s = walk_leg(haversine_m(lon, lat, reference.nodes[node]["x"], reference.nodes[node]["y"]))
        expected_min = (access_s + node_times[node] + egress_s) / 60.0
        # The API rounds minutes to one decimal and coordinates to 6 decimals.
        assert facility["travel_time_min"] == pytest.approx(expected_min, abs=0.06)


def test_places_search_finds_department_by_old_spelling(client):
    results = client.get("/api/v1/places/", {"q": "Cuzco"}).json()["results"]
    department = next(result for result in results if result["kind"] == "department")
    assert department["name"] == "Cusco"
    assert department["ubigeo"] == "080101"  # the capital district, usable as a search location


def test_search_from_department_uses_capital_district(client):
    body = post_match(client, with_changes(location={"ubigeo": "080101"})).json()
    assert body["search"]["district"]["ubigeo"] == "080101"
    assert body["facilities"][0]["district"]["name"]


def test_public_transport_search_is_labelled(client):
    facilities = post_match(client, with_changes(mode="transit")).json()["facilities"]
    assert facilities
    assert "transporte público" in facilities[0]["travel_time_method"]
    walking = post_match(client, PREGNANT_WITHOUT_INSURANCE).json()["facilities"]
    assert facilities[0]["travel_time_min"] < walking[0]["travel_time_min"] + 15


def test_search_in_huamanga_uses_mtc_roads(client):
    facilities = post_match(client, with_changes(location={"ubigeo": "050101"})).json()["facilities"]
    assert facilities[0]["travel_time_source"] == "road_network"
    assert "MTC" in facilities[0]["travel_time_method"]
