"""gunicorn settings for the web container, read from the environment.

Used by ``deployment/entrypoint.sh`` and by ``benchmarks/load.py``.
"""
import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Searches are CPU-bound (graph lookups, ranking), with a few database round
# trips each: one process per core plus one kept both cores busy on the load
# benchmark (176 searches/s with 3 workers, 174 with 2, on 2 cores).
workers = int(os.environ.get("GUNICORN_WORKERS", str((os.cpu_count() or 1) + 1)))
# Sync workers, one request at a time each. With two threads per worker the
# threads fought over the GIL between numpy calls and the load benchmark lost
# about half its throughput (61.7 against 117 searches/s on 2 cores). A
# gthread worker with one thread kept up to 16 keep-alive connections to itself
# while another worker sat idle (p95 274 against 180 ms). Slow phones are the
# TLS proxy's job: it buffers requests and responses (deployment/README.md).
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT_S", "60"))
graceful_timeout = 30
keepalive = 5
# Load the graphs and the model once in the master; workers share the pages.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Access lines carry the path but no query string, so no searched place is logged.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GEOSALUD_LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


_warmed = False


def pre_fork(server, worker):
    """Build the search's in-memory data once in the master, so that every worker starts warm and shares it."""
    global _warmed
    if preload_app and not _warmed:
        _warmed = True
        from ops.warmup import freeze_for_workers, warm_up

        warm_up()
        freeze_for_workers()


def post_worker_init(worker):
    """Without a preloaded app the master has no Django, so each worker warms itself."""
    if not preload_app:
        from ops.warmup import freeze_for_workers, warm_up

        warm_up()
        freeze_for_workers()


def child_exit(server, worker):
    """Drop the metric files of a worker that exited (Prometheus multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
