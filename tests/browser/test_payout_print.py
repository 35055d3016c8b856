"""The monthly payout summary printed by Chromium to A4 PDF and read back from it:
enough volunteers to fill several pages, and no volunteer's block cut by a page break
(every line of a volunteer is on the page that carries their name)."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from django.test import Client

from tests.browser.test_paper import open_as, print_pdf
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import volunteer
from tests.volunteers.test_payouts import confirmed, tokyo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_each_volunteer_s_block_stays_on_one_a4_page(chromium, live_server):
    coordinator = UserFactory(roles=["coordinator"])
    district = DistrictFactory()
    notes = {}
    for n in range(14):
        name = f"Payee-{n:02d}"  # Latin: CJK glyphs come back from the PDF reordered
        helper = volunteer(district, full_name=name)
        notes[name] = [f"note{n:02d}-{k}" for k in range(3 + n % 4)]
        for k, note in enumerate(notes[name]):
            confirmed(coordinator, helper, tokyo(6, 3 + k, 10), minutes=30, cash=300, note=note)
    desk = signed_in_back_office(Client(), coordinator)
    context = open_as(chromium, live_server, desk)
    pdf = print_pdf(context, "/admin/aid/payouts/print/?month=2030-06", "payouts")
    context.close()
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [page.extract_text() or "" for page in document.pages]
        assert all(p.width < 600 and p.height > 800 for p in document.pages)  # A4 portrait
    assert len(pages) >= 2, "enough volunteers to need a page break"
    for name, lines in notes.items():
        holding = {i for i, text in enumerate(pages) for mark in (name, *lines) if mark in text}
        assert len(holding) == 1, f"{name}'s block is on pages {sorted(holding)}"
        assert all(mark in pages[min(holding)] for mark in (name, *lines)), name
