"""Proposal attachments: what a file really is, from its bytes, not its name.

Accepted: PDF (starts with ``%PDF-``), DOCX and XLSX (ZIP packages whose
``[Content_Types].xml`` declares the main part of a Word document or an Excel
workbook, and which contain that part). Anything else — an executable renamed
``.pdf``, a ZIP renamed ``.docx``, a DOCX renamed ``.xlsx`` — is refused.
"""

from __future__ import annotations

import zipfile

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cms.exceptions import AttachmentRejected

ALLOWED_EXTENSIONS = ("pdf", "docx", "xlsx")
#: Largest ``[Content_Types].xml`` read from a package (Word's and Excel's are ~2 KB).
CONTENT_TYPES_MAX_SIZE = 256 * 1024

#: OOXML main parts and the content types that [Content_Types].xml declares for them.
_OOXML = {
    "docx": (
        "word/document.xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": (
        "xl/workbook.xml",
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ),
}


def sniff_kind(upload) -> str | None:
    """``"pdf"``, ``"docx"``, ``"xlsx"`` or None, judged from the content only."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
            if "[Content_Types].xml" not in names:
                return None
            # Read a bounded amount: a small package can inflate to gigabytes (a zip
            # bomb), and a real [Content_Types].xml is a few kilobytes.
            with package.open("[Content_Types].xml") as part:
                content_types = part.read(CONTENT_TYPES_MAX_SIZE + 1)
            if len(content_types) > CONTENT_TYPES_MAX_SIZE:
                return None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    for kind, (part, content_type) in _OOXML.items():
        if part in names and content_type in content_types:
            return kind
    return None


def attachment_check(upload) -> str:
    """Return the attachment's kind, or raise :class:`AttachmentRejected` (field
    ``attachments``) for a file that is too large, of another type, or whose name
    does not match its content."""
    limit = settings.PROPOSAL_ATTACHMENT_MAX_SIZE
    name = upload.name or ""
    if upload.size > limit:
        raise AttachmentRejected(
            _("%(name)s is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(limit)},
            field="attachments",
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = sniff_kind(upload)
    if extension not in ALLOWED_EXTENSIONS or kind != extension:
        raise AttachmentRejected(
            _("%(name)s is not a PDF, Word (.docx) or Excel (.xlsx) file.") % {"name": name},
            field="attachments",
        )
    return kind
