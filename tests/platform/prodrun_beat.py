"""The project's Celery app with one test-only beat entry, for the production-shaped
run (``test_production_run.py``): ``celery -A tests.platform.prodrun_beat beat``.
Production's schedule is left as it is; this adds a ping every second, so the test
sees beat -> broker -> worker within seconds."""

from config.celery import app

app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "test-ping-every-second": {"task": "config.ping", "schedule": 1.0, "args": ["beat"]},
}
