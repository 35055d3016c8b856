"""Paper shared by the volunteer pages and the back office: voucher codes, QR codes,
the printable A4 voucher sheet and the points passbook."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import Voucher
from points.selectors import passbook_of, voucher_code, vouchers_of
from qr.render import svg

#: Vouchers on one printed A4 page: two columns of four, each cell cut out whole.
PER_PRINTED_PAGE = 8
#: Unused vouchers one sheet prints, those that expire first first.
SHEET_LIMIT = 40


def redemption_url(request, code: str) -> str:
    return request.build_absolute_uri(reverse("shop-redeem-code", args=[code]))


def with_codes(request, vouchers):
    for voucher in vouchers:
        voucher.code = voucher_code(voucher)
        voucher.code_groups = voucher.code.split("-") if voucher.code else []
        if voucher.code and voucher.status == Voucher.Status.ISSUED:
            voucher.qr = svg(
                redemption_url(request, voucher.code),
                title=_("QR code of voucher %(code)s") % {"code": voucher.code},
            )
    return vouchers


def render_voucher_sheet(request, owner):
    """The printable sheet of ``owner``'s unused vouchers (also used by coordinators
    printing for a volunteer without a smartphone), in printed pages of
    :data:`PER_PRINTED_PAGE` so that a page break never cuts a voucher."""
    unused = vouchers_of(owner).filter(status=Voucher.Status.ISSUED).order_by("expires_on", "pk")
    vouchers = with_codes(request, list(unused[:SHEET_LIMIT]))
    pages = [
        vouchers[start : start + PER_PRINTED_PAGE]
        for start in range(0, len(vouchers), PER_PRINTED_PAGE)
    ]
    return render(
        request,
        "points/vouchers_print.html",
        {"owner": owner, "vouchers": vouchers, "pages": pages},
    )


def render_passbook(request, owner):
    """The printable points passbook of ``owner`` (the volunteer's own page, and the
    coordinator's print for a volunteer without a smartphone)."""
    return render(
        request,
        "points/passbook.html",
        {"owner": owner, "passbook": passbook_of(owner), "today": timezone.localdate()},
    )
