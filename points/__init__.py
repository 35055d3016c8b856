"""The ikiiki points ledger: double-entry books, earning rules, vouchers, shops, settlement."""
