"""API authentication classes (kept apart from ``core.api``: DRF imports these while
``rest_framework.views`` is still loading)."""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth headless ``X-Session-Token`` auth that answers 401 (with a challenge)
    rather than 403 when no credentials were sent."""

    def authenticate_header(self, request) -> str:
        return "Session-Token"
