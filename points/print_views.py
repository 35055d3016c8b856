"""Printable pages for volunteers who keep their points on paper. Thin: the reads are
in :mod:`points.selectors`, the rendering in :mod:`points.sheets`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required

from points.sheets import render_passbook


@login_required
def my_passbook(request):
    """The signed-in volunteer's points passbook (ポイント通帳), A4 or on screen. Only
    ever one's own: coordinators print others' from the back office."""
    return render_passbook(request, request.user)
