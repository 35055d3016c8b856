"""A real Celery worker process against real Redis runs a task and returns its result."""

import os
import subprocess
import sys
import uuid

import pytest

from config.celery import app, ping
from tests.platform.helpers import ROOT


def test_eager_mode_runs_tasks_in_process():
    assert ping.delay("eager").get(timeout=1) == "eager"


@pytest.mark.redis
def test_real_worker_against_real_redis(redis_url):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "REDIS_URL": redis_url, "CELERY_TASK_ALWAYS_EAGER": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env={**env, "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    app.conf.task_always_eager = False
    try:
        result = ping.apply_async(args=[queue], queue=queue)
        assert result.get(timeout=60) == queue
        assert result.state == "SUCCESS"
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
