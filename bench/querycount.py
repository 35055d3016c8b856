"""A benchmark-only middleware (``bench.pages_settings``): counts the SQL statements a
request sends through Django's connection (``connection.execute_wrapper``, so every
query of the middleware below it, the view and the template is seen) and returns the
count in the ``X-Bench-Queries`` header. Never part of the product's settings.

Streaming responses (feeds, exports) are counted up to the moment the view returns
its response; the header cannot wait for the body."""

from __future__ import annotations

from django.db import connections

HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = [0]

        def count(execute, sql, params, many, context):
            counter[0] += 1
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(count):
            response = self.get_response(request)
        response[HEADER] = str(counter[0])
        return response
