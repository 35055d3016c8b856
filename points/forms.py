"""Forms for the volunteer and shop pages."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class ExchangeForm(forms.Form):
    count = forms.IntegerField(label=_("Number of vouchers"), min_value=1, max_value=100, initial=1)
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class NoticePreferenceForm(forms.Form):
    expiry_notices = forms.BooleanField(
        label=_("Tell me before my points or vouchers expire"), required=False
    )


class ShopField(forms.TypedChoiceField):
    """One of the clerk's shops, by id; any other id is refused as ``invalid_choice``
    (the view answers 403: the shop is not theirs)."""

    default_error_messages = {
        "invalid_choice": _("Vouchers cannot be accepted for this shop from your account."),
        "required": _("Choose the shop that is accepting the voucher."),
    }


class ShopChoiceMixin:
    """The shop travels with the code. A clerk of one shop needs no choice (hidden);
    a clerk of several chooses explicitly (radio buttons, the shop they chose last
    pre-selected, none if they never chose). ``cleaned_data["shop"]`` is the Shop."""

    def _set_shops(self, shops, default_id=None, *, hidden=False):
        self._shops = {shop.pk: shop for shop in shops}
        field = self.fields["shop"]
        field.choices = [(shop.pk, shop.name) for shop in shops]
        if len(shops) == 1:
            field.required = False
            field.initial = shops[0].pk
        elif default_id in self._shops:
            field.initial = default_id
        field.widget = forms.HiddenInput() if hidden or len(shops) == 1 else forms.RadioSelect()
        field.widget.choices = field.choices

    def clean_shop(self):
        shop_id = self.cleaned_data.get("shop")
        if shop_id is None and len(self._shops) == 1:
            return next(iter(self._shops.values()))
        return self._shops[shop_id]


class RedeemCodeForm(ShopChoiceMixin, forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=64,
        help_text=_("As printed, e.g. 7K3M-Q9TX-2HNP-W4RB-Y. Hyphens and spaces are optional."),
    )
    shop = ShopField(label=_("Shop accepting the voucher"), coerce=int, empty_value=None)

    def __init__(self, *args, shops=(), default_shop=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_shops(shops, default_shop)


class ConfirmRedemptionForm(ShopChoiceMixin, forms.Form):
    """The confirmation's POST: the code and the shop shown on the confirmation page,
    both in the body (never in the URL)."""

    code = forms.CharField(max_length=64, widget=forms.HiddenInput)
    shop = ShopField(coerce=int, empty_value=None)

    def __init__(self, *args, shops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_shops(shops, hidden=True)
