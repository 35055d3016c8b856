from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform core")

    def ready(self):
        # Registers the OpenAPI description of our authentication class.
        from core import schema  # noqa: F401
        from core.admin_display import register

        register()
