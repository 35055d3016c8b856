"""Volunteer-facing points pages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from points.selectors import wallet_balance, wallet_entries, with_running_balance

PAGE_SIZE = 20


@login_required
def my_points(request):
    """Balance and history (with running balance and reasons, capped remainders too)."""
    page = Paginator(wallet_entries(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = with_running_balance(list(page.object_list), request.user)
    return render(
        request,
        "points/my_points.html",
        {"balance": wallet_balance(request.user), "page": page, "entries": entries},
    )
