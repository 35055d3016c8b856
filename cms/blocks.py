"""StreamField blocks of the public site's pages (body text and contacts).

Wagtail deconstructs a ``StructBlock``/``StreamBlock`` subclass as its base class
(``wagtail.blocks.StructBlock``), so migrations name no class of this module.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class ContactBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("Name or role"))
    phone = blocks.CharBlock(label=_("Phone"), required=False)
    email = blocks.EmailBlock(label=_("Email"), required=False)
    hours = blocks.CharBlock(label=_("Hours"), required=False)

    class Meta:
        icon = "user"
        label = _("Contact")
        template = "cms/blocks/contact.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("Heading"), form_classname="title", icon="title")
    paragraph = blocks.RichTextBlock(label=_("Paragraph"))
    image = ImageBlock(label=_("Image"))
    contact = ContactBlock()

    class Meta:
        template = "cms/blocks/body.html"
