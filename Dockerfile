# syntax=docker/dockerfile:1
#
# Image for the web app (gunicorn) and the Celery worker. Two stages: the
# builder compiles the virtual environment from requirements.txt, and the
# runtime stage copies it next to the GDAL/GEOS/PROJ libraries that
# GeoDjango loads, without compilers.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libgdal-dev gettext \
    && rm -rf /var/lib/apt/lists/*

# requirements.txt pins torch==2.13.0. PyPI's Linux wheel of that version is
# the CUDA build (several GB), so the PyTorch CPU index is searched first:
# its 2.13.0+cpu wheel satisfies the same pin.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_INDEX_URL=https://download.pytorch.org/whl/cpu \
    PIP_EXTRA_INDEX_URL=https://pypi.org/simple

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

WORKDIR /app
COPY . /app
# Translations and static files are build outputs (*.mo and staticfiles/
# are not committed). The key below exists only for this build step.
RUN DJANGO_DEBUG=1 DJANGO_SECRET_KEY=build-only-not-a-secret GEOSALUD_VAR_DIR=/tmp/var \
        /opt/venv/bin/python manage.py compilemessages --ignore=.venv --verbosity=0 \
    && DJANGO_DEBUG=1 DJANGO_SECRET_KEY=build-only-not-a-secret GEOSALUD_VAR_DIR=/tmp/var \
        /opt/venv/bin/python manage.py collectstatic --noinput --verbosity=0


FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

# gdal-bin brings libgdal, libgeos and libproj for GeoDjango;
# postgresql-client brings pg_isready and pg_dump for the entry point and backups.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin postgresql-client \
    && rm -rf /var/lib/apt/lists/*

ARG APP_UID=10001
RUN groupadd --system --gid ${APP_UID} geosalud \
    && useradd --system --uid ${APP_UID} --gid geosalud --home-dir /app --shell /usr/sbin/nologin geosalud \
    && mkdir -p /var/lib/geosalud /tmp/prometheus \
    && chown geosalud:geosalud /var/lib/geosalud /tmp/prometheus

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=root:root /app /app

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=geo_config.settings \
    DJANGO_DEBUG=0 \
    GEOSALUD_VAR_DIR=/var/lib/geosalud \
    GEOSALUD_GRAPH_DIR=/var/lib/geosalud/graphs \
    GEOSALUD_RANKER_DIR=/var/lib/geosalud/models/ranker \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

WORKDIR /app
USER geosalud
EXPOSE 8000
VOLUME ["/var/lib/geosalud"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "deployment/healthcheck.py"]

ENTRYPOINT ["sh", "deployment/entrypoint.sh"]
CMD ["web"]
