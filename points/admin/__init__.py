"""The points scheme in the Wagtail admin, one module per area: the ledger report,
manual adjustments, the shops import, settlement statements and vouchers. URLs and
menu items are registered in ``points/wagtail_hooks.py``."""
