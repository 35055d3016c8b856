"""The go-live checklist on the back office's dashboard: what a city still has to set
up before the first real day, each line linking to where it is set."""

from __future__ import annotations

from wagtail.admin.ui.components import Component

from core.navigation import go_live_checklist


class GoLivePanel(Component):
    """One list item per line, its status written out (not shown by colour alone)."""

    name = "go_live_checklist"
    template_name = "accounts/admin/golive_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        lines = go_live_checklist()
        return {"lines": lines, "missing": sum(not line["done"] for line in lines)}
