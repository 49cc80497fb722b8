"""Admin pages of the road regions and the nearest-facility surfaces."""
from io import StringIO

import pytest
from django.core.management import call_command

from routing.models import RoadRegion, SurfaceRun

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


def test_surface_list_renders(admin_client):
    call_command("compute_surfaces", department=["05"], mode="drive", stdout=StringIO())
    run = SurfaceRun.objects.get(department_id="05", mode="drive")
    response = admin_client.get("/admin/routing/surfacerun/")
    assert response.status_code == 200
    assert b"peru-mtc" in response.content
    assert admin_client.get(f"/admin/routing/surfacerun/{run.pk}/change/").status_code == 200
    assert admin_client.get("/admin/routing/surfacerun/add/").status_code == 403
