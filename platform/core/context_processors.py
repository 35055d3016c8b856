from django.conf import settings

from core.display import HIGH_CONTRAST, LARGE_TEXT, display_classes, preference_on


def site(request):
    """Values every page template needs. The centre's phone number is not here: it
    is edited on the home page (``HomePage.mutual_aid_phone``) and read by the
    ``mutual_aid_phone`` tag of ``cms_tags``."""
    return {"SITE_NAME": settings.WAGTAIL_SITE_NAME}


def display(request):
    """The visitor's display preferences (core.display): the classes for ``<html>``
    and whether each is on (the toggle buttons' ``aria-pressed``)."""
    return {
        "DISPLAY_CLASSES": display_classes(request),
        "LARGE_TEXT": preference_on(request, LARGE_TEXT),
        "HIGH_CONTRAST": preference_on(request, HIGH_CONTRAST),
    }
