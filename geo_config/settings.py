"""Django settings for the Peru healthcare access project.

Every deployment-specific value comes from the environment. Development
defaults apply only while ``DJANGO_DEBUG`` is on (the default for
``make run``); production refuses to start without its secrets.
"""
from pathlib import Path
import os
import secrets

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"
VAR_DIR = Path(os.environ.get("GEOSALUD_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"

#: Project-local PostGIS cluster that ``make run`` starts when no
#: ``DATABASE_URL`` is given (see scripts/setup_db.sh).
LOCAL_DATABASE_URL = "postgis://geosalud@127.0.0.1:55432/geosalud"


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it in the environment before "
            "starting with DJANGO_DEBUG=0."
        )
    # Development only: a random key kept under var/ so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "leaflet",
    "geoservices",
    "routing",
    "matcher",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "geo_config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "geo_config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or LOCAL_DATABASE_URL,
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=60,
    )
}
# dj-database-url maps "postgres://" to the plain backend; GeoDjango needs PostGIS.
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# Separate test database names let several test runs share one server.
if os.environ.get("GEOSALUD_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["GEOSALUD_TEST_DB_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Spanish (Peru) first; English on request. Message ids in code are English.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "geosalud_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "geoservices.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_AUTHENTICATION_CLASSES": [],
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (-9.19, -75.02),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 4,
    "MAX_ZOOM": 18,
    "TILES": os.environ.get("GEOSALUD_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
    "ATTRIBUTION_PREFIX": "© OpenStreetMap contributors",
    "RESET_VIEW": False,
}

#: Project settings, checked at start-up by ``geoservices.apps``.
GEOSALUD = {
    # Folder of the staged real data that the loaders read.
    "SOURCE_DATA_DIR": Path(os.environ.get("GEOSALUD_SOURCE_DATA_DIR", DATA_DIR / "peru")),
    # Folder where build_graphs writes the compact graph arrays.
    "GRAPH_DIR": Path(os.environ.get("GEOSALUD_GRAPH_DIR", DATA_DIR / "graphs")),
    # Decimal places kept of a searched location (2 places is about 1.1 km).
    "SEARCH_LOCATION_DECIMALS": 2,
    # Number of facilities a search returns.
    "MAX_RESULTS": 10,
    # Facilities further than this straight-line distance are not considered.
    "SEARCH_RADIUS_KM": 60.0,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GEOSALUD_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
