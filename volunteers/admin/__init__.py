"""The volunteers app in the Wagtail admin, one module per area: today's board and
intake, the request page and its steps (one POST view each), residents, volunteers
(profile, card, days away, registration), reports and the dashboard panel, the
volunteer import, and the activity log (review queue, sign-in sheets, poster reprint).
URLs and menu items are registered in ``volunteers/wagtail_hooks.py``.

Every view is thin: a form or a selector, then one service call; domain errors come
back as form errors or messages, never a 500."""
