from django.conf import settings


def site(request):
    """Values every page template needs. The centre's phone number is not here: it
    is edited on the home page (``HomePage.mutual_aid_phone``) and read by the
    ``mutual_aid_phone`` tag of ``cms_tags``."""
    return {"SITE_NAME": settings.WAGTAIL_SITE_NAME}
