"""Celery application; without a broker configured, tasks run eagerly (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqp.settings")

app = Celery("cqp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
