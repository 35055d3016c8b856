"""allauth headless session tokens, looked up in one query instead of two."""

from __future__ import annotations

from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies.sessions import (
    SessionTokenStrategy as AllauthSessionTokenStrategy,
)
from django.contrib.sessions.backends.base import SessionBase


class SessionTokenStrategy(AllauthSessionTokenStrategy):
    """allauth's session-token strategy (the token is the session key), minus a query.

    Why: the stock ``lookup_session`` asks the session store whether the key exists and
    then loads it, two queries on every token-authenticated request (every API call of
    the app, each QR scan). allauth ships the one-query lookup in
    ``sessionkit.lookup_session``: it loads the session directly, and Django clears the
    key of a missing or expired session, which is answered as "no session". Same
    result, one round trip. Set as ``HEADLESS_TOKEN_STRATEGY``.
    """

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return sessionkit.lookup_session(session_token)
