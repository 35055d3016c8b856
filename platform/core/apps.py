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

        _label_wagtail_site_columns()
        _label_wagtail_workflow_page_field()


def _label_wagtail_site_columns():
    """Wagtail 8.0.1's sites list heads three columns with the attribute's name
    ("Port", "Site name", "Root page"), English whatever the language: head them with
    the model fields' own (translated) names instead."""
    from django.utils.functional import lazy
    from django.utils.text import capfirst
    from wagtail.models import Site
    from wagtail.sites.views import IndexView

    for column in IndexView.columns:
        if column.name in {"port", "site_name", "root_page"}:
            field = Site._meta.get_field(column.name)
            column.label = lazy(capfirst, str)(field.verbose_name)


def _label_wagtail_workflow_page_field():
    """Wagtail 8.0.1's form assigning a workflow to pages leaves its page field's label
    to Django's default, the English attribute name "Page"."""
    from django.utils.functional import lazy
    from django.utils.text import capfirst
    from django.utils.translation import gettext_lazy
    from wagtail.admin.forms.workflows import WorkflowPageForm

    WorkflowPageForm.base_fields["page"].label = lazy(capfirst, str)(gettext_lazy("page"))
