"""Volunteer and shop pages for points and vouchers. Thin: a form, one service call,
a template; domain errors become messages on the page, never a 500."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import formats
from core.errors import DomainError
from core.exports import csv_response, xlsx_response
from points import codes, throttle
from points.exceptions import ShopRequired, TooManyAttempts, VoucherUnknown, WrongShop
from points.forms import (
    ConfirmRedemptionForm,
    ExchangeForm,
    NoticePreferenceForm,
    RedeemCodeForm,
)
from points.models import ExchangeSettings
from points.selectors import (
    redemptions_at,
    shop_default_id,
    shop_list_districts,
    shops_listed,
    shops_of,
    statement_redemptions,
    statements_for,
    voucher_check,
    vouchers_of,
    wallet_balance,
    wallet_entries,
    with_running_balance,
)
from points.selectors.notices import expiry_notices_wanted
from points.services.notices import notice_preference_set
from points.services.vouchers import shop_choice_remember, voucher_exchange, voucher_redeem
from points.sheets import render_voucher_sheet, with_codes

PAGE_SIZE = 20


@login_required
def my_points(request):
    """Balance and history (with running balance and reasons, capped remainders too)."""
    page = Paginator(wallet_entries(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = with_running_balance(list(page.object_list), request.user)
    return render(
        request,
        "points/my_points.html",
        {
            "balance": wallet_balance(request.user),
            "page": page,
            "entries": entries,
            "notice_form": NoticePreferenceForm(
                initial={"expiry_notices": expiry_notices_wanted(request.user)}
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_points_notices(request):
    """The volunteer chooses whether to be told before their points or vouchers expire
    (by email, or by a coordinator's call); only for themself. The box is on the
    points page: a GET (signing in again after the session ended on a POST lands here
    with ``next``) goes there rather than to a blank 405."""
    if request.method == "GET":
        return redirect("my-points")
    form = NoticePreferenceForm(request.POST)
    form.is_valid()  # an unticked box is a valid "no"
    wanted = bool(form.cleaned_data.get("expiry_notices"))
    notice_preference_set(user=request.user, expiry_notices=wanted)
    if wanted:
        messages.success(request, _("You will be told before your points or vouchers expire."))
    else:
        messages.success(request, _("You will no longer be told before they expire."))
    return redirect("my-points")


# --- The public list of participating shops ----------------------------------------


@require_GET
def shop_list(request):
    """加盟店一覧: every shop accepting vouchers now (name, district, address, what it
    sells), for anyone, signed in or not; ``?district=<id>`` narrows it to one
    district (anything else shows them all)."""
    districts = list(shop_list_districts())
    chosen = next((d for d in districts if str(d.pk) == request.GET.get("district", "")), None)
    shops = list(shops_listed(chosen.pk if chosen else None))
    groups: dict = {}
    for shop in shops:
        groups.setdefault(shop.district, []).append(shop)
    return render(
        request,
        "points/shop_list.html",
        {
            "districts": districts,
            "chosen": chosen,
            "groups": list(groups.items()),
            "count": len(shops),
        },
    )


# --- Vouchers (volunteers) ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_vouchers(request):
    config = ExchangeSettings.load()
    form = ExchangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _txn, vouchers = voucher_exchange(
                user=request.user,
                count=form.cleaned_data["count"],
                idempotency_key=f"exchange:{form.cleaned_data['request_id']}",
            )
        except DomainError as error:
            form.add_error(error.field or "count", str(error.message))
        else:
            messages.success(
                request,
                _("%(count)s voucher(s) issued. Show the code or QR code at a shop.")
                % {"count": len(vouchers)},
            )
            return redirect("my-vouchers")
    page = Paginator(vouchers_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/my_vouchers.html",
        {
            "balance": wallet_balance(request.user),
            "config": config,
            "form": form,
            "page": page,
            "vouchers": with_codes(request, list(page.object_list)),
        },
    )


@login_required
def my_vouchers_print(request):
    """An A4 sheet of the unused vouchers, for people who keep them on paper."""
    return render_voucher_sheet(request, request.user)


# --- Shops --------------------------------------------------------------------------


def _shops_or_403(request):
    shops = list(shops_of(request.user))
    if not shops:
        raise PermissionDenied(_("Your account is not registered as staff of a shop."))
    return shops


def _lookup(request, code: str, shop):
    return throttle.guarded(
        request, lambda: voucher_check(typed_code=code, shop=shop, staff=request.user)
    )


def _redeem(request, code: str, shop):
    # Redeeming looks the code up too: unthrottled, the confirmation POST would be a
    # way round the guessing limit of the lookup.
    return throttle.guarded(
        request, lambda: voucher_redeem(typed_code=code, shop=shop, staff=request.user)
    )


def _error_status(error: DomainError) -> int:
    return 429 if isinstance(error, TooManyAttempts) else 200


def _confirm_page(request, *, code: str, shop, voucher=None, error=None, status=200):
    """The confirmation page: the voucher's value and, in large type, the shop it will
    be accepted for; its form carries the code and that shop in the POST body."""
    context = {"code": code, "shop": shop, "voucher": voucher, "error": error}
    return render(request, "points/shop_redeem_confirm.html", context, status=status)


def _redeem_form(request, shops, data=None, **kwargs):
    return RedeemCodeForm(data, shops=shops, default_shop=shop_default_id(request.user), **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def shop_redeem(request):
    """Choose the shop (clerks of several shops) and type the code, or arrive from
    :func:`shop_redeem_code` with the scanned code in the POST body. A voucher that can
    be used is shown for confirmation at the chosen shop, which is remembered as the
    clerk's default; the code is never put into a URL."""
    shops = _shops_or_403(request)
    form = _redeem_form(request, shops, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        shop, code = form.cleaned_data["shop"], form.cleaned_data["code"]
        try:
            voucher = _lookup(request, code, shop)
        except DomainError as error:
            form.add_error("code", str(error.message))
            status = _error_status(error)
        else:
            if len(shops) > 1:
                shop_choice_remember(staff=request.user, shop=shop)
            return _confirm_page(request, code=_shown(code), shop=shop, voucher=voucher)
    elif form.has_error("shop", "invalid_choice"):
        status = 403
    return render(request, "points/shop_redeem.html", {"form": form}, status=status)


def _shown(code: str) -> str:
    """The code a clerk typed or scanned, as printed (it was found, so it is valid)."""
    return codes.display(codes.normalize(code))


@require_http_methods(["GET"])
def shop_redeem_code(request, code: str):
    """The URL in a voucher's QR code. Shop staff see the voucher: a clerk of one shop
    goes straight to the confirmation, a clerk of several first chooses the shop.
    Anyone else (the volunteer scanning their own voucher, a passer-by) learns what the
    code is and what to do with it; nothing is looked up for them."""
    shops = list(shops_of(request.user)) if request.user.is_authenticated else []
    if not shops:
        return render(request, "points/shop_voucher_info.html")
    try:
        voucher = _lookup(request, code, shops[0])
    except DomainError as error:
        return _confirm_page(
            request, code=code, shop=None, error=error, status=_error_status(error)
        )
    if len(shops) == 1:
        return _confirm_page(request, code=_shown(code), shop=shops[0], voucher=voucher)
    form = _redeem_form(request, shops, initial={"code": _shown(code)})
    form.fields["code"].widget = forms.HiddenInput()
    return render(request, "points/shop_redeem.html", {"form": form, "voucher": voucher})


@login_required
@require_POST
def shop_redeem_confirm(request):
    """Accept the voucher at the shop the confirmation page named (both from the POST
    body). A shop the clerk does not work at is refused (403), nothing booked."""
    shops = _shops_or_403(request)
    form = ConfirmRedemptionForm(request.POST, shops=shops)
    if not form.is_valid():
        refused = form.has_error("shop", "invalid_choice")
        error = WrongShop() if refused else ShopRequired()
        if form.has_error("code"):
            error = VoucherUnknown()
        return _confirm_page(
            request, code="", shop=None, error=error, status=403 if refused else 400
        )
    shop, code = form.cleaned_data["shop"], form.cleaned_data["code"]
    try:
        voucher = _redeem(request, code, shop)
    except DomainError as error:
        return _confirm_page(
            request, code=code, shop=shop, error=error, status=_error_status(error)
        )
    return render(request, "points/shop_redeemed.html", {"voucher": voucher, "shop": shop})


@login_required
def shop_history(request):
    shops = _shops_or_403(request)
    page = Paginator(redemptions_at(shops_of(request.user)), 50).get_page(request.GET.get("page"))
    return render(request, "points/shop_history.html", {"shops": shops, "page": page})


@login_required
def shop_statements(request):
    _shops_or_403(request)
    return render(
        request, "points/shop_statements.html", {"statements": statements_for(request.user)}
    )


# Lazy: evaluated per request, in the language of the person downloading.
STATEMENT_COLUMNS = [
    gettext_lazy("Used at"),
    gettext_lazy("Voucher"),
    gettext_lazy("Points"),
    gettext_lazy("Amount (yen)"),
    gettext_lazy("Accepted by"),
]


@login_required
def shop_statement(request, pk: int, fmt: str = "html"):
    """One statement: printable page, or CSV / XLSX of its redemptions."""
    if fmt not in {"html", "csv", "xlsx"}:
        raise Http404
    statement = get_object_or_404(statements_for(request.user), pk=pk)
    redemptions = list(statement_redemptions(statement))
    if fmt == "html":
        return render(
            request,
            "points/shop_statement.html",
            {"statement": statement, "redemptions": redemptions},
        )
    rows = [
        [
            v.redeemed_at,
            v.pk,
            v.points,
            v.face_value_yen,
            str(v.redeemed_by or ""),
        ]
        for v in redemptions
    ]
    name = f"statement-{statement.shop_id}-{statement.month:%Y-%m}"
    table = [
        [str(c) for c in STATEMENT_COLUMNS],
        *rows,
        [_("Total"), statement.voucher_count, statement.total_points, statement.total_yen, ""],
    ]
    if fmt == "csv":
        return csv_response(table, name)
    return xlsx_response(formats.month(statement.month), table, name)
