"""Registry of background jobs and the functions that queue and run them.

An app registers each heavy management command once, usually in its
``AppConfig.ready``::

    from ops.jobs import register_job
    register_job("build_graphs", command="build_graphs", label=_("Build road graphs"))

and queues a run with ``enqueue("build_graphs", user=request.user)``. The
command reports progress with :func:`report_progress`, which does nothing when
the command runs outside a job (for example from ``make run``).
"""
from __future__ import annotations

import collections
import contextvars
import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from .exceptions import JobAlreadyRegisteredError, UnknownJobError
from .models import Job

logger = logging.getLogger(__name__)

#: Lines of command output kept on the Job row.
OUTPUT_TAIL_LINES = 200
#: Minimum seconds between two progress writes to the database.
PROGRESS_INTERVAL_S = 1.0


@dataclass(frozen=True)
class JobSpec:
    """A management command that may run as a background job."""

    name: str
    command: str
    label: str
    queue: str = "celery"
    max_retries: int = 3
    default_options: dict[str, Any] = field(default_factory=dict)


_registry: dict[str, JobSpec] = {}


def register_job(
    name: str,
    command: str,
    label: str,
    *,
    queue: str = "celery",
    max_retries: int = 3,
    default_options: dict[str, Any] | None = None,
) -> JobSpec:
    """Register ``command`` as the job ``name``.

    Registering the same name again with the same command replaces the entry,
    so ``ready()`` may run twice in tests.

    Parameters
    ----------
    name
        Job name used by :func:`enqueue`, in metrics and in the admin.
    command
        Management command to run.
    label
        Human-readable title shown to admins (a lazy translation).
    queue
        Celery queue, so heavy jobs can go to dedicated worker machines.
    max_retries
        Retries after a database or broker outage; command errors are not retried.
    default_options
        Keyword options passed to the command unless the caller overrides them.
    """
    existing = _registry.get(name)
    if existing is not None and existing.command != command:
        msg = (
            f"Job name {name!r} is already registered for command {existing.command!r}; "
            f"choose another name for command {command!r}."
        )
        raise JobAlreadyRegisteredError(msg)
    spec = JobSpec(name, command, label, queue, max_retries, dict(default_options or {}))
    _registry[name] = spec
    return spec


def registered_jobs() -> dict[str, JobSpec]:
    """Return a copy of the registry, keyed by job name."""
    return dict(_registry)


def get_job_spec(name: str) -> JobSpec:
    """Return the registered job ``name`` or raise :class:`UnknownJobError`."""
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        msg = f"Unknown job {name!r}. Registered jobs: {known}."
        raise UnknownJobError(msg) from None


def enqueue(name: str, *args: str, user=None, **options: Any) -> Job:
    """Create a Job row for ``name`` and queue its Celery task.

    The task is sent once the surrounding transaction commits, so a worker
    never receives a job that was rolled back. With ``CELERY_TASK_ALWAYS_EAGER``
    (the single-machine default) the job runs inline before this returns.

    Returns
    -------
    Job
        The row, reloaded after sending, so an eager run shows its final status.
    """
    spec = get_job_spec(name)
    arguments = {"args": list(args), "options": {**spec.default_options, **options}}
    job = Job.objects.create(
        name=spec.name,
        command=spec.command,
        arguments=arguments,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
    )
    transaction.on_commit(lambda: _send(job.pk, spec))
    if not transaction.get_connection().in_atomic_block:
        job.refresh_from_db()
    return job


def _send(job_id: int, spec: JobSpec) -> None:
    # Imported here because ops.tasks imports this module.
    from .tasks import run_job

    try:
        result = run_job.apply_async(args=[job_id], queue=spec.queue)
    except BrokerOperationalError as exc:
        # Leave no job waiting forever in "queued"; the caller sees the outage (a 503 in views).
        error = f"Broker unreachable, job not queued: {exc}. Start Redis or check CELERY_BROKER_URL, then queue it again."
        Job.objects.filter(pk=job_id).update(status=Job.Status.FAILED, error=error, finished_at=timezone.now())
        logger.error("Job %s #%s not queued: %s", spec.name, job_id, exc)
        raise
    Job.objects.filter(pk=job_id, celery_task_id="").update(celery_task_id=result.id or "")
    logger.info("Queued job %s #%s on queue %s", spec.name, job_id, spec.queue)


@dataclass
class _ProgressState:
    job_id: int
    last_write: float = 0.0


# The job that the current thread is running, for report_progress.
_current_job: contextvars.ContextVar[_ProgressState | None] = contextvars.ContextVar("ops_current_job", default=None)


def report_progress(done: float, total: float | None = None, message: str = "") -> None:
    """Record how far the running job is; does nothing outside a job.

    Parameters
    ----------
    done
        Units of work done, or the fraction done (0 to 1) when ``total`` is None.
    total
        Units of work in all, e.g. the number of districts to load.
    message
        Short status line in English for admins, without personal data.

    Notes
    -----
    Writes are throttled to one per ``PROGRESS_INTERVAL_S``. They go through the
    default connection, so a command that wraps all its work in one
    ``transaction.atomic`` block shows its progress only when that block commits.
    """
    state = _current_job.get()
    if state is None:
        return
    now = time.monotonic()
    if now - state.last_write < PROGRESS_INTERVAL_S:
        return
    state.last_write = now

    fraction = done / total if total else done
    fraction = min(max(float(fraction), 0.0), 1.0)
    Job.objects.filter(pk=state.job_id).update(progress=fraction, message=message[:255])


class _OutputTail(io.TextIOBase):
    """Text stream that keeps the last lines written to it."""

    def __init__(self, max_lines: int = OUTPUT_TAIL_LINES):
        self._lines: collections.deque[str] = collections.deque(maxlen=max_lines)
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        self._lines.extend(lines)
        return len(text)

    def getvalue(self) -> str:
        return "\n".join([*self._lines, self._partial]).strip("\n")


def run_registered_command(job: Job) -> str:
    """Run the job's management command and return the tail of its output.

    Marks the job running, sets the progress context, and leaves marking the
    end to the caller, which decides whether a failure is retried.
    """
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), attempts=job.attempts + 1, error=""
    )
    output = _OutputTail()
    token = _current_job.set(_ProgressState(job.pk))
    try:
        arguments = job.arguments or {}
        call_command(job.command, *arguments.get("args", []), stdout=output, stderr=output, **arguments.get("options", {}))
    finally:
        _current_job.reset(token)
        # Keep what the command wrote even when it failed.
        job.output = output.getvalue()
    return job.output


def finish_job(job: Job, status: str, error: str = "") -> None:
    """Store the final status of ``job`` and its output tail."""
    values = {"status": status, "finished_at": timezone.now(), "output": job.output, "error": error[:4000]}
    if status == Job.Status.SUCCEEDED:
        values["progress"] = 1.0
    Job.objects.filter(pk=job.pk).update(**values)
