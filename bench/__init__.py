"""Benchmarks run by ``make bench``: each prints a ratio against a baseline measured in
the same run, never a lone absolute time."""
