"""Settings for ``bench_pages``: the application's own settings plus one middleware,
outermost, that counts the SQL queries of each request and returns the count in the
``X-Bench-Queries`` response header (``bench.querycount``). Benchmark-only: the
product's settings never load it."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]
