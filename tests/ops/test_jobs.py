"""Job registry and runner: real management commands run as eager Celery tasks."""
import datetime

import pytest
from django.contrib.gis.geos import Point

from geoservices.models import SearchRecord
from ops import jobs
from ops.exceptions import JobAlreadyRegisteredError, UnknownJobError
from ops.models import Job

pytestmark = pytest.mark.django_db


def make_search_record(days_ago):
    record = SearchRecord.objects.create(
        ubigeo="150132",
        coarse_location=Point(-77.0, -11.98, srid=4326),
        needs=["prenatal_care"],
        insurance="none",
        sisfoh="pobre",
        mode="walk",
        household_size=1,
        age_bands=["18-29"],
        results_count=3,
    )
    created_on = datetime.date.today() - datetime.timedelta(days=days_ago)
    SearchRecord.objects.filter(pk=record.pk).update(created_on=created_on)
    return record


def test_enqueue_runs_eagerly(django_capture_on_commit_callbacks):
    old = make_search_record(days_ago=400)
    recent = make_search_record(days_ago=10)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("purge_search_logs", days=365)
    job.refresh_from_db()

    assert job.status == Job.Status.SUCCEEDED
    assert job.progress == 1.0
    assert job.attempts == 1
    assert job.duration_s is not None
    assert "1 deleted" in job.output
    assert not SearchRecord.objects.filter(pk=old.pk).exists()
    assert SearchRecord.objects.filter(pk=recent.pk).exists()


def test_failed_command_marks_job_failed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("purge_search_logs", days=0)
    job.refresh_from_db()

    assert job.status == Job.Status.FAILED
    assert "CommandError" in job.error
    assert "--days must be at least 1, got 0" in job.error
    assert job.finished_at is not None


def test_finished_job_not_run_again(django_capture_on_commit_callbacks):
    from ops.tasks import run_job

    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue("purge_search_logs", days=365)
    run_job.apply(args=[job.pk])
    job.refresh_from_db()

    assert job.attempts == 1


def test_unknown_job_rejected():
    with pytest.raises(UnknownJobError, match="purge_search_logs"):
        jobs.enqueue("rebuild_everything")


def test_name_taken_by_other_command():
    with pytest.raises(JobAlreadyRegisteredError, match="purge_search_logs"):
        jobs.register_job("purge_search_logs", command="load_data", label="Load")


def test_report_progress_outside_job_is_noop():
    # Browser tests may have committed jobs earlier in the run, so compare counts.
    stored_before = Job.objects.count()
    jobs.report_progress(3, 10, "districts")
    assert Job.objects.count() == stored_before


def test_report_progress_updates_running_job():
    job = Job.objects.create(name="purge_search_logs", command="purge_search_logs")
    token = jobs._current_job.set(jobs._ProgressState(job.pk))
    try:
        jobs.report_progress(3, 12, "loading districts")
    finally:
        jobs._current_job.reset(token)
    job.refresh_from_db()

    assert job.progress == pytest.approx(0.25)
    assert job.message == "loading districts"


def test_purge_dry_run_keeps_records(capsys):
    from django.core.management import call_command

    old = make_search_record(days_ago=400)
    call_command("purge_search_logs", "--dry-run", "--days", "365")

    assert SearchRecord.objects.filter(pk=old.pk).exists()
    assert "1 would be deleted" in capsys.readouterr().out


def test_job_duration_metric(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("purge_search_logs", days=365)
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()

    assert 'geosalud_job_duration_seconds_count{job="purge_search_logs",status="succeeded"} 1.0' in text
    assert 'geosalud_job_duration_seconds_sum{job="purge_search_logs",status="succeeded"}' in text


def test_broker_down_fails_job(settings, django_capture_on_commit_callbacks):
    from geo_config.celery import app
    from kombu.exceptions import OperationalError as BrokerOperationalError

    def drop_connection_pools():
        # Celery caches broker connections, so a changed broker_url needs fresh pools.
        app._pool = None
        app.amqp._producer_pool = None

    # Nothing listens on port 1 of loopback, so sending fails at once.
    drop_connection_pools()
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.broker_connection_max_retries = 0
    app.conf.broker_transport_options = {"max_retries": 0}
    last_before = Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with pytest.raises(BrokerOperationalError):
            with django_capture_on_commit_callbacks(execute=True):
                jobs.enqueue("purge_search_logs", days=365)
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        drop_connection_pools()
    job = Job.objects.get(pk__gt=last_before)

    assert job.status == Job.Status.FAILED
    assert "Broker unreachable" in job.error
