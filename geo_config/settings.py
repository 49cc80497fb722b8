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
LOCAL_DATABASE_URL = f"postgis://geosalud@127.0.0.1:{os.environ.get('GEOSALUD_PGPORT', '55432')}/geosalud"


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
    "ops",
    "planning",
    "django_prometheus",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "ops.middleware.SearchMetricsMiddleware",
    "ops.middleware.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geo_config.locale.SpanishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ops.middleware.OutageMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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

# --- Operations: jobs, cache, rate limits, API schema, logs, production security.

#: Redis for the cache that backs rate limits; without REDIS_URL each process
#: keeps its own in-memory cache (development and tests).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A Redis outage must not fail searches: cache calls return None
                # and the rate limits fail open until Redis is back.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "ops.cache"

# Celery (geo_config/celery.py). Jobs run inline unless CELERY_TASK_ALWAYS_EAGER=0,
# so one machine needs no worker; deployments with workers set it to 0.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
CELERY_TASK_DEFAULT_QUEUE = "celery"

# Per-client limits on search and feedback, applied by ops.middleware.RateLimitMiddleware.
# Off under DEBUG so that development and test runs are not throttled.
RATELIMIT_ENABLE = os.environ.get("GEOSALUD_RATELIMIT", "0" if DEBUG else "1") == "1"
RATELIMIT_FAIL_OPEN = True
#: Path of the family search, counted in geosalud_searches_total.
GEOSALUD_SEARCH_PATH = "/api/v1/match/"
GEOSALUD_RATE_LIMITS = [
    {"group": "search", "path": r"^/api/v1/match/$", "methods": ("POST",),
     "rate": os.environ.get("GEOSALUD_RATE_SEARCH", "30/m")},
    {"group": "feedback", "path": r"^/api/v1/feedback/", "methods": ("POST",),
     "rate": os.environ.get("GEOSALUD_RATE_FEEDBACK", "10/m")},
    {"group": "data_report", "path": r"^/report-data/$", "methods": ("POST",),
     "rate": os.environ.get("GEOSALUD_RATE_FEEDBACK", "10/m")},
]
#: Number of reverse proxies in front of gunicorn whose X-Forwarded-For is trusted.
GEOSALUD_TRUSTED_PROXIES = int(os.environ.get("GEOSALUD_TRUSTED_PROXIES", "0"))
#: Bearer token for /metrics; without it only loopback clients may read metrics.
GEOSALUD_METRICS_TOKEN = os.environ.get("GEOSALUD_METRICS_TOKEN", "")
#: Days search logs are kept before purge_search_logs deletes them.
GEOSALUD_SEARCH_LOG_RETENTION_DAYS = int(os.environ.get("GEOSALUD_SEARCH_LOG_RETENTION_DAYS", "365"))

REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "GeoSalud API",
    "DESCRIPTION": "Health facilities and public programmes that a household in Peru can reach and is entitled to.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Families may search by public transport; planners' coverage has walking and driving only.
    "ENUM_NAME_OVERRIDES": {
        "FamilyModeEnum": "geoservices.vocabulary.FAMILY_MODE_CHOICES",
        "TravelModeEnum": "geoservices.vocabulary.MODE_CHOICES",
    },
}

# Stale pooled connections after a PostGIS restart are replaced, not reused.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

LOGGING["filters"] = {"personal_data": {"()": "ops.logging.PersonalDataFilter"}}
LOGGING["formatters"]["json"] = {"()": "ops.logging.JsonLogFormatter"}
LOGGING["handlers"]["console"]["filters"] = ["personal_data"]
if os.environ.get("GEOSALUD_LOG_FORMAT", "plain") == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"

# Content security policy. django-leaflet writes its map set-up as inline
# scripts without a nonce, so scripts allow 'unsafe-inline' from this origin;
# no other origin may serve scripts. Map tiles come from GEOSALUD_TILE_URL's host.
_tile_origin = "https://" + LEAFLET_CONFIG["TILES"].split("://", 1)[-1].split("/", 1)[0].replace("{s}.", "*.")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", _tile_origin],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [
    origin.strip() for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin.strip()
]

if not DEBUG:
    # Static files are served by WhiteNoise from STATIC_ROOT (run collectstatic).
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")
    #: 1 when a TLS-terminating proxy sits in front of gunicorn.
    GEOSALUD_HTTPS = os.environ.get("GEOSALUD_HTTPS", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = GEOSALUD_HTTPS
    # Health checks and metrics scrapes come over plain HTTP from inside the host.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SESSION_COOKIE_SECURE = GEOSALUD_HTTPS
    CSRF_COOKIE_SECURE = GEOSALUD_HTTPS
    SECURE_HSTS_SECONDS = int(os.environ.get("GEOSALUD_HSTS_SECONDS", "31536000")) if GEOSALUD_HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = os.environ.get("GEOSALUD_HSTS_PRELOAD", "1") == "1"
    # gis.W001: GDAL before 3.9 cannot block file and network access while it
    # parses a spatial reference. Debian 12 ships GDAL 3.6, and here only the
    # staged data and staff imports reach GDAL, never a family's request.
    # NOTE: drop this once the hosts run GDAL 3.9 or newer (Debian 13 has 3.10).
    SILENCED_SYSTEM_CHECKS = ["gis.W001"]
