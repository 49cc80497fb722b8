"""Celery application for background jobs (graph builds, imports, training).

Settings come from Django settings with the ``CELERY_`` prefix, which read
the environment. On one machine ``CELERY_TASK_ALWAYS_EAGER`` is on, so jobs
run inline in the process that queues them and no worker is needed.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_config.settings")

app = Celery("geo_config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
