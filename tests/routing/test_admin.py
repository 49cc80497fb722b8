"""Admin pages of the road regions."""
import pytest

from routing.models import RoadRegion

pytestmark = pytest.mark.django_db


def test_region_list_and_detail_render(admin_client):
    response = admin_client.get("/admin/routing/roadregion/")
    assert response.status_code == 200
    assert b"lima-sjl-canto-grande" in response.content

    region = RoadRegion.objects.get(slug="cusco-centro")
    response = admin_client.get(f"/admin/routing/roadregion/{region.pk}/change/")
    assert response.status_code == 200
    assert region.source_sha256.encode() in response.content


def test_region_cannot_be_added(admin_client):
    assert admin_client.get("/admin/routing/roadregion/add/").status_code == 403
