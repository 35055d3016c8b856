from django.conf import settings


def site(request):
    """Values every page template needs."""
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "MUTUAL_AID_PHONE": getattr(settings, "MUTUAL_AID_PHONE", ""),
    }
