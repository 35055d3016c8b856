"""A local stand-in for the LINE Messaging API's push endpoint, following the published
reference (https://developers.line.biz/en/reference/messaging-api/#send-push-message,
#status-codes, #error-responses and docs/messaging-api/retrying-api-request/):

* ``POST /v2/bot/message/push`` only (else 404).
* ``Authorization: Bearer <channel access token>``: a missing or wrong token is 401.
* ``X-Line-Retry-Key`` must be a UUID (else 400). A key already accepted (within its
  24 hours) is 409 with ``X-Line-Accepted-Request-Id`` and the accepted request's
  ``sentMessages``: nothing is delivered again. A request that failed (4xx, 5xx before
  acceptance) does not use up its key.
* The body is JSON: ``to`` a userId (``U`` and 32 hex digits), ``messages`` 1 to 5
  message objects; a text message's ``text`` 1 to 5000 characters. Violations are 400
  ``{"message": "The request body has N error(s)", "details": [...]}``.
* A user who is not a friend of the bot (``strangers``) is 400 "Failed to send messages".
* 200 ``{"sentMessages": [{"id", "quoteToken"}]}`` with ``X-Line-Request-Id``.

For linking, LINE Login v2.1's two calls allauth's LINE provider makes
(https://developers.line.biz/en/reference/line-login/): ``POST /oauth2/v2.1/token``
(form: ``grant_type=authorization_code``, ``code``, ``redirect_uri``, ``client_id``,
``client_secret``; a code issued by :meth:`LineStandIn.authorize`, used once) and
``GET /v2/profile`` with the access token (``userId``, ``displayName``).

Faults for tests: ``fail_next`` (statuses answered once each, before anything is
accepted: 500, 429 ...), ``accept_then_fail`` (the next request is accepted and
delivered, then answered 500: the case the retry key exists for), ``delay`` (seconds
to wait before answering, for timeouts).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
TEXT_MAX = 5000
MESSAGES_MAX = 5


@dataclass
class Delivery:
    to: str
    texts: list[str]
    retry_key: str | None
    request_id: str


@dataclass
class LineStandIn:
    token: str = "standin-channel-access-token"
    delivered: list[Delivery] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    accept_then_fail: bool = False
    delay: float = 0.0
    strangers: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)  # recipients answered 400

    def __post_init__(self) -> None:
        self._accepted: dict[str, tuple[str, list[dict], float]] = {}
        self._codes: dict[str, tuple[str, str]] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                standin._handle(self)

            def do_GET(self) -> None:  # noqa: N802
                standin._profile(self)

            def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
                standin._reply(self, status, body, headers)

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    login_client_id: str = "1650000000"
    login_client_secret: str = "standin-login-secret"

    def authorize(self, user_id: str, display_name: str = "LINEの名前") -> str:
        """What LINE's authorization page does when the user agrees: a one-time code
        for ``user_id``, given back to the callback."""
        code = uuid.uuid4().hex
        self._codes[code] = (user_id, display_name)
        return code

    def texts_to(self, user_id: str) -> list[str]:
        return [text for d in self.delivered if d.to == user_id for text in d.texts]

    # --- the endpoint -----------------------------------------------------------------

    @staticmethod
    def _reply(handler, status: int, body: dict, headers: dict | None = None) -> None:
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("X-Line-Request-Id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            handler.wfile.write(payload)

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        self.requests.append({"headers": dict(handler.headers), "body": raw})
        if self.delay:
            time.sleep(self.delay)
        if handler.path == "/oauth2/v2.1/token":
            return self._token(handler, raw)
        if handler.path != "/v2/bot/message/push":
            return self._reply(handler, 404, {"message": "Not found"})
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._reply(
                handler,
                401,
                {
                    "message": "Authentication failed. Confirm that the access token in "
                    "the authorization header is valid."
                },
            )
        retry_key = handler.headers.get("X-Line-Retry-Key")
        if retry_key is not None:
            try:
                uuid.UUID(retry_key)
            except ValueError:
                return self._reply(
                    handler,
                    400,
                    {"message": "The value for the 'X-Line-Retry-Key' header is invalid"},
                )
        with self._lock:
            if self.fail_next:
                status = self.fail_next.pop(0)
                message = {
                    429: "Too Many Requests",
                    500: "Internal Server Error",
                    503: "Service Unavailable",
                }.get(status, "Error")
                return self._reply(handler, status, {"message": message})
            if retry_key is not None and retry_key in self._accepted:
                request_id, sent, at = self._accepted[retry_key]
                if time.monotonic() - at < 24 * 3600:
                    return self._reply(
                        handler,
                        409,
                        {"message": "The retry key is already accepted", "sentMessages": sent},
                        {"X-Line-Accepted-Request-Id": request_id},
                    )
            errors = self._validate(handler, raw)
            if errors:
                return self._reply(
                    handler,
                    400,
                    {
                        "message": f"The request body has {len(errors)} error(s)",
                        "details": errors,
                    },
                )
            body = json.loads(raw)
            if body["to"] in self.strangers:
                self.refused.append(body["to"])
                return self._reply(handler, 400, {"message": "Failed to send messages"})
            request_id = str(uuid.uuid4())
            sent = [
                {"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex}
                for _ in body["messages"]
            ]
            self.delivered.append(
                Delivery(
                    to=body["to"],
                    texts=[m["text"] for m in body["messages"]],
                    retry_key=retry_key,
                    request_id=request_id,
                )
            )
            if retry_key is not None:
                self._accepted[retry_key] = (request_id, sent, time.monotonic())
            if self.accept_then_fail:
                self.accept_then_fail = False
                return self._reply(handler, 500, {"message": "Internal Server Error"})
        return self._reply(handler, 200, {"sentMessages": sent})

    def _token(self, handler, raw: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (
            self.login_client_id,
            self.login_client_secret,
        ):
            return self._reply(handler, 400, {"error": "invalid_client"})
        found = self._codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or found is None:
            return self._reply(handler, 400, {"error": "invalid_grant"})
        token = uuid.uuid4().hex
        self._tokens[token] = found
        return self._reply(
            handler,
            200,
            {
                "access_token": token,
                "expires_in": 2592000,
                "refresh_token": uuid.uuid4().hex,
                "scope": "profile openid",
                "token_type": "Bearer",
            },
        )

    def _profile(self, handler) -> None:
        auth = handler.headers.get("Authorization", "")
        found = self._tokens.get(auth.removeprefix("Bearer "))
        if handler.path != "/v2/profile":
            return self._reply(handler, 404, {"message": "Not found"})
        if found is None:
            return self._reply(handler, 401, {"message": "invalid token"})
        user_id, name = found
        return self._reply(handler, 200, {"userId": user_id, "displayName": name})

    @staticmethod
    def _validate(handler, raw: bytes) -> list[dict]:
        if not handler.headers.get("Content-Type", "").startswith("application/json"):
            return [{"message": "Content-Type must be application/json", "property": ""}]
        try:
            body = json.loads(raw)
        except ValueError:
            return [{"message": "The request body is not valid JSON", "property": ""}]
        if not isinstance(body, dict):
            return [{"message": "must be an object", "property": ""}]
        errors = []
        to = body.get("to")
        if not isinstance(to, str) or not USER_ID.match(to):
            errors.append(
                {"message": "The property, 'to', in the request body is invalid", "property": "to"}
            )
        messages = body.get("messages")
        if not isinstance(messages, list) or not 1 <= len(messages) <= MESSAGES_MAX:
            errors.append(
                {"message": f"Size must be between 1 and {MESSAGES_MAX}", "property": "messages"}
            )
            return errors
        for index, message in enumerate(messages):
            where = f"messages[{index}]"
            if not isinstance(message, dict) or message.get("type") != "text":
                errors.append(
                    {
                        "message": "Must be one of the following values: [text]",
                        "property": f"{where}.type",
                    }
                )
                continue
            text = message.get("text")
            if not isinstance(text, str) or not text:
                errors.append({"message": "May not be empty", "property": f"{where}.text"})
            elif len(text.encode("utf-16-le")) // 2 > TEXT_MAX:
                errors.append(
                    {
                        "message": f"Length must be between 0 and {TEXT_MAX}",
                        "property": f"{where}.text",
                    }
                )
        return errors
