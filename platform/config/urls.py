"""Top-level URLs. Wagtail's page serving is last: it catches every other path."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.api import api_router
from core.views import favicon

# Styled Japanese error pages (accounts.error_pages); the 500 page is static.
handler400 = "accounts.error_pages.bad_request"
handler403 = "accounts.error_pages.permission_denied"
handler404 = "accounts.error_pages.page_not_found"
handler500 = "accounts.error_pages.server_error"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    # The back office signs in through allauth (MFA); Wagtail's own form is not used.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="wagtailadmin_login_redirect",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("points.urls")),
    path("", include("volunteers.urls")),
    path("", include("cms.urls")),
    # Wagtail's content API (read-only pages); kept out of the /api/v1/ schema.
    path("api/cms/v2/", api_router.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
