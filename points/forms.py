"""Forms for the volunteer and shop pages."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class ExchangeForm(forms.Form):
    count = forms.IntegerField(label=_("Number of vouchers"), min_value=1, max_value=100, initial=1)
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class ShopChoiceMixin:
    """A shop field: a select for staff of several shops, implicit for staff of one."""

    def _set_shops(self, shops):
        field = self.fields["shop"]
        field.choices = [(shop.pk, shop.name) for shop in shops]
        if len(field.choices) == 1:
            field.required = False
            field.widget = forms.HiddenInput()
            field.initial = field.choices[0][0]
        self._only_shop = field.choices[0][0] if len(field.choices) == 1 else None

    def clean_shop(self):
        return self.cleaned_data.get("shop") or self._only_shop


class RedeemCodeForm(ShopChoiceMixin, forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=64,
        help_text=_("As printed, e.g. 7K3M-Q9TX-2HNP-W4RB-Y. Hyphens and spaces are optional."),
    )
    shop = forms.TypedChoiceField(label=_("Shop"), coerce=int, empty_value=None)

    def __init__(self, *args, shops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_shops(shops)


class ConfirmRedemptionForm(ShopChoiceMixin, forms.Form):
    shop = forms.TypedChoiceField(label=_("Shop"), coerce=int, empty_value=None)

    def __init__(self, *args, shops=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_shops(shops)
