"""Celery that never loses work, and no mail under a transaction (issue 15, items 1-2).

The fault runs with real processes are in ``test_production_run.py``; here: every
task is wired for retries, the limits fit together, claims make a resend invisible,
every volunteer notice goes out after commit exactly once, and SMTP cannot hang.
"""

from __future__ import annotations

import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from config.celery import app
from core.outbox import SendClaimed, send_once
from core.tasks import RETRY_BACKOFF_MAX, TRANSIENT_ERRORS
from tests.factories import DistrictFactory
from tests.platform.helpers import ROOT
from tests.platform.smtp_server import FaultySMTPServer
from tests.volunteers.aid import help_request, resident, volunteer

APPS = {"points", "volunteers", "cms", "config", "accounts"}


def test_every_project_task_retries_transient_errors_with_backoff_and_jitter():
    app.loader.import_default_modules()  # every app's tasks.py
    names = sorted(name for name in app.tasks if name.split(".")[0] in APPS)
    assert len(names) >= 17, names
    for name in names:
        task = app.tasks[name]
        assert hasattr(task, "_orig_run"), f"{name}: no automatic retry"
        for error in (OperationalError, ConnectionRefusedError, TimeoutError, RedisConnectionError):
            assert issubclass(error, task.autoretry_for), (name, error)
        assert issubclass(smtplib.SMTPServerDisconnected, task.autoretry_for), name
        assert task.retry_backoff and task.retry_jitter and task.max_retries >= 10, name
        assert task.retry_backoff_max == RETRY_BACKOFF_MAX, name
        assert task.acks_late, name


def test_late_acks_requeue_on_a_lost_worker_and_limits_fit_the_visibility_timeout():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_soft_time_limit < conf.task_time_limit
    visibility = conf.broker_transport_options["visibility_timeout"]
    # Neither a running task nor a retry waiting in a worker is handed to a second one.
    assert visibility > conf.task_time_limit + RETRY_BACKOFF_MAX
    # A live attempt never loses its send claim.
    assert conf.task_time_limit < settings.SEND_CLAIM_SECONDS


def test_beat_schedule_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Beat's schedule") :]
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert f"`{entry['task']}`" in section, entry["task"]


def test_smtp_that_never_answers_times_out_as_a_transient_error(settings):
    server = FaultySMTPServer()
    settings.EMAIL_TIMEOUT = 0.5
    try:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=server.port
        )
        assert connection.timeout == 0.5
        with pytest.raises(TRANSIENT_ERRORS):
            mail.send_mail("s", "b", None, ["a@example.jp"], connection=connection)
        assert server.connections == 1
    finally:
        server.close()


def test_the_email_timeout_is_configured():
    assert 0 < settings.EMAIL_TIMEOUT <= 30


def test_a_message_claimed_by_another_attempt_is_not_sent_until_released():
    sent = []

    def prepare():
        return lambda: sent.append(1) or 1

    cache.add("outbox:claim:k", "someone-else", timeout=60)
    with pytest.raises(SendClaimed):
        send_once(key="k", prepare=prepare)
    assert sent == []
    cache.delete("outbox:claim:k")  # the other attempt failed and released it
    assert send_once(key="k", prepare=prepare) == 1
    assert send_once(key="k", prepare=prepare) == 0  # a resend finds it sent
    assert sent == [1]


def test_a_failed_send_is_not_marked_and_releases_its_claim():
    def failing():
        raise smtplib.SMTPServerDisconnected("gone")

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_once(key="k2", prepare=lambda: failing)
    assert cache.get("outbox:claim:k2") is None
    assert send_once(key="k2", prepare=lambda: lambda: 1) == 1


@pytest.mark.django_db(transaction=True)
def test_every_volunteer_notice_goes_out_after_commit_once(reference_data):
    """Through the services, committed for real: each notice is sent by its task after
    commit (the suite's mail backend fails any mail sent inside a transaction), and
    running every task again sends nothing more."""
    from tests.factories import UserFactory
    from volunteers import tasks
    from volunteers.models import Offer
    from volunteers.services.help_requests import offer_accept, request_cancel, request_offer

    coordinator = UserFactory(roles=["coordinator"])
    district = DistrictFactory()
    first, second = volunteer(district), volunteer(district)
    job = help_request(coordinator, resident(district))
    request_offer(help_request=job, volunteers=[first, second], actor=coordinator)
    offers = {o.volunteer_id: o for o in Offer.objects.filter(request=job)}
    assignment = offer_accept(offer=offers[first.pk], volunteer=first)
    request_cancel(help_request=job, actor=coordinator)
    kinds = sorted((m.to[0], m.subject.split("：")[0].split(":")[0]) for m in mail.outbox)
    assert len(mail.outbox) >= 4, kinds  # two offers, taken, assigned, cancelled
    before = len(mail.outbox)
    for offer in offers.values():
        tasks.notify_offer.delay(offer.pk).get()
        tasks.notify_offer_withdrawn.delay(offer.pk).get()
    tasks.notify_offer_taken.delay(offers[second.pk].pk).get()
    for task in (tasks.notify_assigned, tasks.notify_cancelled):
        task.delay(assignment.pk).get()
    assert len(mail.outbox) == before, [(m.to, m.subject) for m in mail.outbox]
