"""Quality flags described in plain words on the data-quality page and the facility list."""
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from geoservices.loaders.facilities import BLOCKING_FLAGS, SPATIAL_FLAGS
from geoservices.models import Facility
from geoservices.quality_flags import FLAG_DESCRIPTIONS, describe_flag

pytestmark = pytest.mark.django_db

#: Flags set outside the two sets above: repaired or shown to families with a warning.
OTHER_FLAGS = {"coordinates_swapped", "hours_unparseable"}

ZERO_SPANISH = "Coordenadas 0, 0, que no corresponden a un lugar real"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_user("revisora_alertas", password="clave-larga-de-prueba",
                                                 is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_every_flag_has_description():
    stored_flags = {flag for flags in Facility.objects.values_list("quality_flags", flat=True) for flag in flags}

    assert BLOCKING_FLAGS | SPATIAL_FLAGS | OTHER_FLAGS <= set(FLAG_DESCRIPTIONS)
    assert stored_flags <= set(FLAG_DESCRIPTIONS)


def test_describe_flag_languages():
    with translation.override("es"):
        assert describe_flag("zero_coordinates") == ZERO_SPANISH
    with translation.override("en"):
        assert describe_flag("zero_coordinates") == "Coordinates are 0, 0, which is not a real place"
    assert describe_flag("some_new_flag") == "some_new_flag"


def test_quality_page_describes_flags(client, staff):
    html = client.get(reverse("admin:geoservices_data_quality"), {"flag": "zero_coordinates"}).content.decode()

    assert f'<a href="?flag=zero_coordinates" title="zero_coordinates">{ZERO_SPANISH}</a>' in html
    assert "<code>zero_coordinates</code>" in html
    assert f'<span class="quality-flag" title="zero_coordinates">{ZERO_SPANISH}</span>' in html
    assert f"Establecimientos con la alerta: {ZERO_SPANISH}" in html
    assert "<td>zero_coordinates</td>" not in html


def test_quality_page_english(client, staff):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("admin:geoservices_data_quality")).content.decode()

    assert ">No MINSA category in the registry</a>" in html
    assert "<code>no_category</code>" in html


def test_facility_list_describes_flags(client, staff):
    code = Facility.objects.filter(quality_flags__contains=["zero_coordinates"]).values_list(
        "renaes_code", flat=True).first()

    html = client.get(reverse("admin:geoservices_facility_changelist"), {"q": code}).content.decode()

    assert f'<span title="zero_coordinates">{ZERO_SPANISH}</span>' in html
