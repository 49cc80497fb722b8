#!/bin/sh
# Entry point of the container image. The first argument selects the role:
#   web          wait for PostGIS, apply migrations, serve with gunicorn
#   worker       run a Celery worker for the queued jobs
#   load         load the staged real data and build the road graphs
#   manage ARGS  run any manage.py command, e.g. "manage purge_search_logs"
set -eu

wait_for_database() {
    libpq_url=$(echo "${DATABASE_URL:?DATABASE_URL is not set}" | sed -e 's#^postgis://#postgresql://#')
    tries=0
    until pg_isready -q -d "$libpq_url"; do
        tries=$((tries + 1))
        if [ "$tries" -ge "${GEOSALUD_DB_WAIT_S:-60}" ]; then
            echo "PostGIS did not accept connections after ${GEOSALUD_DB_WAIT_S:-60} s; check DATABASE_URL and the db service." >&2
            exit 1
        fi
        sleep 1
    done
}

# The image carries the promoted ranker under data/models/ranker. Copy it into
# the models volume on first start, so training in the container can write there.
seed_models() {
    ranker_dir="${GEOSALUD_RANKER_DIR:-}"
    if [ -n "$ranker_dir" ] && [ ! -e "$ranker_dir" ] && [ -d data/models/ranker ]; then
        mkdir -p "$(dirname "$ranker_dir")"
        cp -R data/models/ranker "$ranker_dir"
    fi
}

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
    web)
        wait_for_database
        seed_models
        if [ "${GEOSALUD_MIGRATE_ON_START:-1}" = "1" ]; then
            python manage.py migrate --noinput
        fi
        exec gunicorn --config deployment/gunicorn.conf.py geo_config.wsgi:application
        ;;
    worker)
        wait_for_database
        seed_models
        exec celery --app geo_config worker --loglevel "${GEOSALUD_LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" --queues "${CELERY_WORKER_QUEUES:-celery}"
        ;;
    load)
        wait_for_database
        python manage.py migrate --noinput
        python manage.py load_data
        exec python manage.py build_graphs
        ;;
    manage)
        wait_for_database
        exec python manage.py "$@"
        ;;
    *)
        echo "Unknown role '$role'. Use one of: web, worker, load, manage." >&2
        exit 2
        ;;
esac
