"""Every write of the public site, one module per concept: the page tree's root
(``site``), association editors (``associations``), collaboration proposals
(``proposals``) and volunteer applications (``applications``).

Re-exported here only for callers outside the cms app (tests/conftest.py, bench/ and
cms/admin_views.py while they move); code in cms imports from the concrete module.
"""

from cms.services.applications import volunteer_application_approve, volunteer_application_reject
from cms.services.proposals import proposal_transition
from cms.services.site import site_home_ensure

__all__ = [
    "proposal_transition",
    "site_home_ensure",
    "volunteer_application_approve",
    "volunteer_application_reject",
]
