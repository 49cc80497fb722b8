"""Celery task that runs registered jobs, with retries after outages."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .jobs import finish_job, get_job_spec, run_registered_command
from .models import Job

logger = logging.getLogger(__name__)

#: Errors that mean a service was briefly unreachable, so a retry may succeed.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
#: Seconds before the first retry; each further retry waits twice as long.
RETRY_BASE_DELAY_S = 30


@shared_task(bind=True, acks_late=True, ignore_result=True, name="ops.run_job")
def run_job(self, job_id: int) -> str:
    """Run the Job row ``job_id`` and store its outcome.

    A job that already finished is skipped, so a task delivered twice (late
    acknowledgement after a worker crash) does not run the command again.
    """
    try:
        job = Job.objects.get(pk=job_id)
    except TRANSIENT_ERRORS as exc:
        # The database is down before the job even starts: wait and try again.
        logger.warning("Job #%s could not be read (%s); retrying in %s s", job_id, exc, RETRY_BASE_DELAY_S)
        raise self.retry(exc=exc, countdown=RETRY_BASE_DELAY_S, max_retries=3)
    if job.status in Job.FINISHED:
        logger.info("Job %s #%s already %s; skipping", job.name, job_id, job.status)
        return job.status
    spec = get_job_spec(job.name)
    logger.info("Starting job %s #%s (attempt %s)", job.name, job_id, job.attempts + 1)

    try:
        run_registered_command(job)
    except TRANSIENT_ERRORS as exc:
        return _retry_or_fail(self, job, spec.max_retries, exc)
    except Exception as exc:
        # Record the failure on the row, then let Celery see it.
        _finish(job, Job.Status.FAILED, f"{type(exc).__name__}: {exc}")
        logger.exception("Job %s #%s failed", job.name, job_id)
        raise

    _finish(job, Job.Status.SUCCEEDED)
    return Job.Status.SUCCEEDED


def _finish(job: Job, status: str, error: str = "") -> None:
    finish_job(job, status, error)
    logger.info("Job %s #%s finished: %s", job.name, job.pk, status)


def _retry_or_fail(task, job: Job, max_retries: int, exc: Exception) -> str:
    attempt = task.request.retries
    error = f"{type(exc).__name__}: {exc}"
    if attempt >= max_retries:
        logger.error("Job %s #%s failed after %s retries: %s", job.name, job.pk, attempt, error)
        _mark_if_reachable(job, Job.Status.FAILED, error)
        return Job.Status.FAILED

    delay_s = RETRY_BASE_DELAY_S * 2**attempt
    logger.warning("Job %s #%s hit an outage (%s); retrying in %s s", job.name, job.pk, error, delay_s)
    _mark_if_reachable(job, Job.Status.RETRYING, error)
    raise task.retry(exc=exc, countdown=delay_s, max_retries=max_retries)


def _mark_if_reachable(job: Job, status: str, error: str) -> None:
    # The database may still be down; the retry or the admin will see the row later.
    try:
        if status == Job.Status.FAILED:
            _finish(job, status, error)
        else:
            Job.objects.filter(pk=job.pk).update(status=status, error=error[:4000])
    except TRANSIENT_ERRORS as exc:
        logger.warning("Could not store status %s of job #%s: %s", status, job.pk, exc)
