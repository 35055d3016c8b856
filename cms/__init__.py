"""Wagtail pages: home, district associations, events, news, proposal calls."""
