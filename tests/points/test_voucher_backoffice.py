"""Back office for vouchers: a coordinator exchanges and prints for a volunteer without
a smartphone; city staff void a lost voucher."""

import re
import uuid

import pytest

from points.models import Transaction, TransactionKind, Voucher
from points.selectors import audit_ledger, voucher_code, wallet_balance
from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


def test_coordinator_sees_the_balance_confirms_and_prints_for_a_volunteer(client, volunteer):
    fund(wallet_for(volunteer), 1300)
    coordinator = UserFactory(roles=["coordinator"])
    signed_in_back_office(client, coordinator)
    form = {"volunteer": volunteer.pk, "count": 2, "request_id": str(uuid.uuid4())}
    preview = client.post("/admin/points/exchange/", form)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert figure(html, "balance") == "1,300 pt"
    assert figure(html, "cost") == "1,000 pt" and figure(html, "after") == "300 pt"
    assert "交換は取り消せません" in html and volunteer.full_name in html
    assert not Transaction.objects.filter(kind=TransactionKind.EXCHANGE).exists()
    assert wallet_balance(volunteer) == 1300  # shown, not yet exchanged

    confirmed = dict(form, confirmed_points=1000)
    assert 'name="confirmed_points" value="1000"' in html
    response = client.post("/admin/points/exchange/", confirmed)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/points/vouchers/print/{volunteer.pk}/"
    again = client.post("/admin/points/exchange/", confirmed)  # double submit
    assert again.status_code == 302
    exchange = Transaction.objects.get(kind=TransactionKind.EXCHANGE)
    assert exchange.actor == coordinator and wallet_balance(volunteer) == 300
    assert Voucher.objects.filter(owner=volunteer).count() == 2
    sheet = client.get(response["Location"]).content.decode()
    for voucher in Voucher.objects.filter(owner=volunteer):
        assert voucher_code(voucher) in sheet
    assert sheet.count('class="qr"') == 2 and volunteer.full_name in sheet
    assert audit_ledger().ok


def test_the_exchange_needs_the_confirmed_cost_and_enough_points(client, volunteer):
    fund(wallet_for(volunteer), 700)
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    form = {"volunteer": volunteer.pk, "count": 2, "request_id": str(uuid.uuid4())}
    short = client.post("/admin/points/exchange/", form).content.decode()
    assert "ポイントが不足しています" in short and "交換を確定する" not in short
    stale = client.post("/admin/points/exchange/", dict(form, count=1, confirmed_points=200))
    html = stale.content.decode()
    assert "交換に必要なポイントが変わりました" in html and figure(html, "after") == "200 pt"
    assert not Transaction.objects.filter(kind=TransactionKind.EXCHANGE).exists()
    assert wallet_balance(volunteer) == 700


def figure(html: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">(?:<strong>)?([^<]*)<', html).group(1)


def test_volunteers_cannot_use_the_back_office_exchange(client, volunteer):
    client.force_login(volunteer)
    assert client.get("/admin/points/exchange/").status_code == 403
    assert client.get(f"/admin/points/vouchers/print/{volunteer.pk}/").status_code == 403


def test_city_staff_void_a_voucher_with_a_reason(client, volunteer):
    fund(wallet_for(volunteer), 500)
    (voucher,) = voucher_exchange(user=volunteer, count=1, idempotency_key="v")[1]
    signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    url = f"/admin/points/vouchers/{voucher.pk}/void/"
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "紛失の届け出"}).status_code == 302
    voucher.refresh_from_db()
    assert (voucher.status, voucher.void_reason) == (Voucher.Status.VOID, "紛失の届け出")
    again = client.post(url, {"reason": "二重"})
    assert again.status_code == 200 and "無効" in again.content.decode()
    assert audit_ledger().ok
