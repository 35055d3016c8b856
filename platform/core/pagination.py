"""Back-office lists over tables that grow without end (the ledger's entries: five
million at a city's ten years).

Django's paginator counts every matching row to number the pages: ``COUNT(*)`` over
the whole ledger, which grows with the city and took 240 ms of a 400 ms page at
5.3 million entries (bench_pages). :class:`CappedCountPaginator` counts at most
``count_cap`` rows (``COUNT(*)`` over a ``LIMIT``), so the page costs the same
whatever the size of the table. Beyond the cap the list says so, and its filters (or
the export, which is not paginated) reach the rest.
"""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin.paginator import WagtailPaginator


class CappedCountPaginator(WagtailPaginator):
    """Pages through the first ``count_cap`` rows at most."""

    count_cap = 10_000

    @cached_property
    def counted(self) -> int:
        """The rows, counted up to one more than the cap (to know it was passed)."""
        rows = self.object_list
        if hasattr(rows, "order_by"):  # which rows does not matter, only how many
            rows = rows.order_by()
        return rows[: self.count_cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.counted > self.count_cap

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.count_cap)

    @cached_property
    def items_count_label(self) -> str:
        if not self.capped:
            return super().items_count_label
        return _("The first %(count)s %(items)s (narrow the list with the filters)") % {
            "count": f"{self.count_cap:,}",
            "items": self.verbose_name_plural,
        }
