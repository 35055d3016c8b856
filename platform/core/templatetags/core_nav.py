"""Template tags of the platform layer's navigation (see :mod:`core.navigation`)."""

from django import template

from core import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def me_links(context) -> list[dict]:
    """The "my pages" links the apps registered, for the request being rendered."""
    return navigation.me_links(context["request"])
