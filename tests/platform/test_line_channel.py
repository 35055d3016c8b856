"""The LINE channel (issue #17 item 6): pushes through the Messaging API to volunteers
who linked LINE, over HTTP to a local stand-in that follows the published API
(tests/platform/line_standin.py)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.db import connection, transaction

from core import line, notify
from core.notify import LineChannel, Message, deliver, reachable
from core.outbox import send_once
from core.tasks import TRANSIENT_ERRORS
from tests.factories import DistrictFactory, UserFactory
from tests.platform.helpers import manage
from tests.platform.line_standin import LineStandIn

pytestmark = pytest.mark.django_db

CHANNELS = ["core.notify.LineChannel", "core.notify.EmailChannel"]


@pytest.fixture
def standin(settings):
    server = LineStandIn()
    settings.LINE_API_BASE_URL = server.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = server.token
    settings.LINE_TIMEOUT = 5
    settings.VOLUNTEER_NOTIFICATION_CHANNELS = CHANNELS
    yield server
    server.close()


def link_line(user) -> str:
    uid = "U" + uuid.uuid4().hex
    SocialAccount.objects.create(user=user, provider="line", uid=uid, extra_data={})
    return uid


@pytest.fixture
def linked():
    user = UserFactory(roles=["volunteer"])
    return user, link_line(user)


MESSAGE = Message(subject="お知らせ", body="明日10時からサロンです。")


def once(user, key: str = "test.notice:1", message: Message = MESSAGE, mark=None) -> int:
    return send_once(key=key, prepare=lambda: lambda: deliver(user, message), mark=mark)


def test_a_linked_volunteer_is_told_on_line_and_by_email(standin, linked):
    user, uid = linked
    assert once(user) == 2
    assert [m.to for m in mail.outbox] == [[user.email]]
    (delivery,) = standin.delivered
    assert delivery.to == uid
    assert delivery.texts == ["お知らせ\n\n明日10時からサロンです。"]
    # The retry key is a UUID derived from the message's key: the same on every try.
    assert delivery.retry_key == line.line_retry_key("test.notice:1", uid)
    assert uuid.UUID(delivery.retry_key).version == 5
    sent = standin.requests[-1]
    assert sent["headers"]["Authorization"] == f"Bearer {standin.token}"
    assert json.loads(sent["body"]) == {
        "to": uid,
        "messages": [{"type": "text", "text": "お知らせ\n\n明日10時からサロンです。"}],
    }


def test_a_retry_after_line_accepted_the_push_is_not_delivered_twice(standin, linked):
    """LINE took the message but answered 500 (the case retry keys exist for): the task
    retries, LINE answers 409 for the key, and the volunteer has it once."""
    user, uid = linked
    standin.accept_then_fail = True
    with pytest.raises(line.LineUnavailable) as failed:
        once(user)
    assert isinstance(failed.value, TRANSIENT_ERRORS)  # the task base class retries it
    # LINE's failure did not hold the email up.
    assert len(standin.delivered) == 1 and len(mail.outbox) == 1

    assert once(user) == 2  # the retry: 409 from LINE counts as delivered ...
    assert standin.texts_to(uid) == ["お知らせ\n\n明日10時からサロンです。"]
    assert len(mail.outbox) == 1  # ... and the email, remembered, is not sent again
    assert len(standin.requests) == 2
    assert (
        standin.requests[0]["headers"]["X-Line-Retry-Key"]
        == (standin.requests[1]["headers"]["X-Line-Retry-Key"])
    )


def test_a_crash_between_sending_and_marking_sends_nothing_again(standin, linked):
    """The mark failed after both channels sent (the database went away): the retry
    finds each channel remembered, and LINE's retry key would stop it anyway."""
    user, uid = linked

    def mark_fails():
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError):
        once(user, mark=mark_fails)
    assert once(user, mark=lambda: None) == 2
    assert len(standin.delivered) == 1 and len(mail.outbox) == 1


def test_a_server_error_or_rate_limit_before_acceptance_is_retried_then_delivered(standin, linked):
    user, uid = linked
    standin.fail_next = [500, 429]
    for _ in range(2):
        with pytest.raises(line.LineUnavailable):
            once(user)
    # LINE down or over its monthly quota: the email went at the first try, once.
    assert standin.delivered == [] and len(mail.outbox) == 1
    assert once(user) == 2
    assert len(standin.texts_to(uid)) == 1 and len(mail.outbox) == 1


def test_a_refusal_for_good_is_logged_not_retried(standin, linked, caplog):
    """A user the bot cannot push to (not a friend, 400): the other channels still send,
    nothing raises (a retry would not help), the refusal is in the log."""
    user, uid = linked
    standin.strangers.add(uid)
    assert once(user) == 1
    assert standin.delivered == [] and len(mail.outbox) == 1
    assert "Failed to send messages" in caplog.text
    assert uid not in caplog.text and user.email not in caplog.text  # no personal data


def test_a_wrong_access_token_is_an_error_in_the_log(standin, linked, settings, caplog):
    user, _uid = linked
    settings.LINE_CHANNEL_ACCESS_TOKEN = "revoked"
    assert once(user) == 1  # email still goes
    assert standin.delivered == []
    assert any(r.levelname == "ERROR" and "401" in r.getMessage() for r in caplog.records)


def test_only_active_users_who_linked_line_are_reached(standin, linked):
    user, uid = linked
    unlinked = UserFactory(roles=["volunteer"])
    line_only = UserFactory(email=None, roles=["volunteer"])
    link_line(line_only)
    channel = LineChannel()
    assert channel.can_reach(user) and channel.can_reach(line_only)
    assert not channel.can_reach(unlinked)
    assert reachable(line_only)  # by LINE alone

    assert once(unlinked, key="k:1") == 1  # email only
    assert standin.delivered == []

    # Unlinking LINE (the connections page) is opting out of it.
    SocialAccount.objects.filter(user=user).delete()
    assert not channel.can_reach(user)
    assert once(user, key="k:2") == 1 and standin.delivered == []

    line_only.is_active = False
    line_only.save(update_fields=["is_active"])
    assert not channel.can_reach(line_only) and not reachable(line_only)
    assert once(line_only, key="k:3") == 0 and standin.delivered == []


def test_without_an_access_token_line_reaches_nobody(linked, settings):
    user, _uid = linked
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    assert not LineChannel().can_reach(user)


def test_every_push_has_a_timeout(standin, linked, settings):
    """A LINE that accepts the connection and never answers cannot hold the task: the
    push gives up after LINE_TIMEOUT with a network error the task retries."""
    user, _uid = linked
    settings.LINE_TIMEOUT = 0.3
    standin.delay = 2
    started = time.monotonic()
    with pytest.raises(requests.Timeout) as failed:
        once(user)
    assert time.monotonic() - started < 1.5
    assert isinstance(failed.value, TRANSIENT_ERRORS)


def test_the_timeout_is_passed_on_every_call(monkeypatch, settings):
    seen = []

    class Answer:
        status_code = 200

    def post(url, **kwargs):
        seen.append(kwargs.get("timeout"))
        return Answer()

    monkeypatch.setattr(line.requests, "post", post)
    settings.LINE_CONNECT_TIMEOUT, settings.LINE_TIMEOUT = 4, 9
    line.line_push(to="U" + "0" * 32, text="x", retry_key=None)
    assert seen == [(4, 9)]


def test_a_long_message_is_cut_to_lines_that_fit_and_delivered(standin, linked):
    user, uid = linked
    body = "\n".join(f"{n}行目：" + "あ" * 90 for n in range(80))  # ≈ 7,500 characters
    assert once(user, message=Message(subject="長いお知らせ", body=body)) == 2
    (text,) = standin.texts_to(uid)
    assert len(text) <= line.TEXT_MAX
    assert text.startswith("長いお知らせ\n\n0行目：")
    assert text.endswith("\n…")
    assert all(row.endswith("あ" * 90) for row in text.splitlines()[2:-1])  # whole lines


def test_emoji_count_two_towards_the_limit():
    text = line.line_text("件名", "😀" * 3000)
    assert len(text.encode("utf-16-le")) // 2 <= line.TEXT_MAX
    assert text.endswith("…") and "😀" in text
    assert line.line_text("件名", "本文") == "件名\n\n本文"


def test_the_standin_follows_the_published_validation(standin):
    """The stand-in refuses what LINE refuses, so the channel is tested against it."""

    def push(body, token=standin.token, key=None):
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["X-Line-Retry-Key"] = key
        return requests.post(
            f"{standin.url}/v2/bot/message/push", json=body, headers=headers, timeout=5
        )

    good = {"to": "U" + "a" * 32, "messages": [{"type": "text", "text": "hi"}]}
    assert push(good, token="wrong").status_code == 401
    assert push({**good, "to": "someone"}).status_code == 400
    assert push({**good, "messages": []}).status_code == 400
    assert push({**good, "messages": [{"type": "text", "text": "x" * 5001}]}).status_code == 400
    assert push(good, key="not-a-uuid").status_code == 400
    key = str(uuid.uuid4())
    first = push(good, key=key)
    assert first.status_code == 200 and first.json()["sentMessages"]
    again = push(good, key=key)
    assert again.status_code == 409
    assert again.headers["X-Line-Accepted-Request-Id"] == standin.delivered[0].request_id
    assert len(standin.delivered) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_pushed_inside_a_transaction(standin, monkeypatch, reference_data):
    """Assigning a volunteer queues the notice on commit: nothing reaches LINE while
    the transaction is open, and the push itself runs outside any transaction."""
    from tests.volunteers.aid import help_request, resident, volunteer
    from volunteers.services.help_requests import request_assign

    in_transaction = []
    real_push = line.line_push

    def spy(**kwargs):
        in_transaction.append(connection.in_atomic_block)
        return real_push(**kwargs)

    monkeypatch.setattr(line, "line_push", spy)
    district = DistrictFactory()
    coordinator = UserFactory(roles=["coordinator"])
    helper = volunteer(district)
    uid = link_line(helper)
    with transaction.atomic():
        request_assign(
            help_request=help_request(coordinator, resident(district)),
            volunteer=helper,
            actor=coordinator,
        )
        assert standin.delivered == [] and mail.outbox == []
    assert len(standin.texts_to(uid)) == 1
    assert in_transaction == [False]
    assert notify.LINE_PROVIDER == "line"


def test_the_line_channel_joins_only_when_configured(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.VOLUNTEER_NOTIFICATION_CHANNELS, s.SOCIALACCOUNT_PROVIDERS['line']['APPS'])"
    )
    bare = manage("shell", "-c", code, env={"VAR_DIR": str(tmp_path)}, clean=True)
    assert bare.returncode == 0, bare.stderr
    assert "['core.notify.EmailChannel'] []" in bare.stdout
    configured = manage(
        "shell",
        "-c",
        code,
        env={
            "VAR_DIR": str(tmp_path),
            "LINE_LOGIN_CHANNEL_ID": "1650000000",
            "LINE_LOGIN_CHANNEL_SECRET": "login-secret",
            "LINE_CHANNEL_ACCESS_TOKEN": "push-token",
        },
        clean=True,
    )
    assert configured.returncode == 0, configured.stderr
    assert "['core.notify.LineChannel', 'core.notify.EmailChannel']" in configured.stdout
    assert "'client_id': '1650000000'" in configured.stdout


def test_a_recipient_line_refuses_is_no_longer_reached_there_but_a_wrong_token_is_not_theirs(
    standin, linked, settings
):
    """LINE's 400 for one recipient (not a friend of the official account) is recorded:
    LINE stops reaching them (a LINE-only person becomes unreachable, for the call
    list) and is not tried again. A 401 is the channel's own fault: nobody is marked."""
    from core.models import LineRefusal

    user, uid = linked
    line_only = UserFactory(email=None, roles=["volunteer"])
    other_uid = link_line(line_only)

    settings.LINE_CHANNEL_ACCESS_TOKEN = "revoked"
    assert once(line_only, key="k:401") == 0
    assert not LineRefusal.objects.exists()
    settings.LINE_CHANNEL_ACCESS_TOKEN = standin.token
    assert LineChannel().can_reach(line_only) and reachable(line_only)

    standin.strangers.update({uid, other_uid})
    assert once(user, key="k:1") == 1  # email
    assert once(line_only, key="k:2") == 0
    assert standin.refused == [uid, other_uid]
    refusal = LineRefusal.objects.get(account__uid=other_uid)
    assert refusal.status == 400
    assert not LineChannel().can_reach(line_only) and not reachable(line_only)
    assert not LineChannel().can_reach(user) and reachable(user)  # by email
    assert once(line_only, key="k:3") == 0 and once(user, key="k:4") == 1
    assert standin.refused == [uid, other_uid]  # not pushed again
    assert notify.line_refused_since(line_only) == refusal.refused_at

    assert notify.line_retry(line_only) == 1 and notify.line_retry(line_only) == 0
    assert notify.line_refused_since(line_only) is None
    assert notify.line_refused_since(user) is not None
    standin.strangers.clear()
    assert once(line_only, key="k:5") == 1
    assert len(standin.texts_to(other_uid)) == 1

    # Unlinking takes the refusal with it.
    SocialAccount.objects.filter(user=user).delete()
    assert not LineRefusal.objects.exists()
