"""Glue between Django REST framework and the platform's conventions."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error body is ``{"code": ..., "detail": ..., "fields": {...}}``.

    ``code`` is stable (clients branch on it); ``fields`` maps a field name to its
    messages for validation errors; domain errors keep their own status and code.
    """
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = {
            "code": "invalid",
            "detail": str(_first_message(fields)),
            "fields": fields,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {
            "code": codes if isinstance(codes, str) else "error",
            "detail": str(detail),
        }
    return response


def _first_message(fields: Any) -> str:
    if isinstance(fields, dict):
        for value in fields.values():
            return _first_message(value)
    if isinstance(fields, list) and fields:
        return _first_message(fields[0])
    return str(fields)


def only_api_v1(endpoints):
    """drf-spectacular preprocessing hook: document ``/api/v1/`` only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
