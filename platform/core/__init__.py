"""Shared platform code: domain-error base, API glue, base templates, catalogue tools."""
