"""Proposal attachments: what a file really is, from its bytes, not its name.

Accepted: PDF (starts with ``%PDF-``), DOCX and XLSX (ZIP packages whose
``[Content_Types].xml`` declares the main part of a Word document or an Excel
workbook, and which contain that part). Anything else — an executable renamed
``.pdf``, a ZIP renamed ``.docx``, a DOCX renamed ``.xlsx`` — is refused.

A proposal received on paper is entered with its scans: JPEG and PNG images are
accepted there too (``SCAN_EXTENSIONS``), judged the same way, from their bytes and
then opened by Pillow; the size limit is the same.
"""

from __future__ import annotations

import zipfile

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cms.exceptions import AttachmentRejected

ALLOWED_EXTENSIONS = ("pdf", "docx", "xlsx")
#: What city staff may attach to a proposal received on paper: the same, plus scans.
SCAN_EXTENSIONS = (*ALLOWED_EXTENSIONS, "jpg", "png")
#: Other spellings of an extension, and the kind they stand for.
_EXTENSION_ALIASES = {"jpeg": "jpg"}
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
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg" if _image_opens(upload, "JPEG") else None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png" if _image_opens(upload, "PNG") else None
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


def _image_opens(upload, image_format: str) -> bool:
    """Whether Pillow reads the file as an intact image of ``image_format`` (its
    decompression-bomb guard applies)."""
    from PIL import Image

    try:
        with Image.open(upload) as image:
            ok = image.format == image_format
            image.verify()
    except Exception:  # Pillow raises many types for a broken file
        return False
    finally:
        upload.seek(0)
    return ok


def attachment_check(upload, *, allowed: tuple[str, ...] = ALLOWED_EXTENSIONS) -> str:
    """Return the attachment's kind, or raise :class:`AttachmentRejected` (field
    ``attachments``) for a file that is too large, of a type not ``allowed``, or whose
    name does not match its content."""
    limit = settings.PROPOSAL_ATTACHMENT_MAX_SIZE
    name = upload.name or ""
    if upload.size > limit:
        raise AttachmentRejected(
            _("%(name)s is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(limit)},
            field="attachments",
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    extension = _EXTENSION_ALIASES.get(extension, extension)
    kind = sniff_kind(upload) if extension in allowed else None
    if kind is None or kind != extension:
        if "jpg" in allowed:
            message = _("%(name)s is not a PDF, JPEG, PNG, Word (.docx) or Excel (.xlsx) file.")
        else:
            message = _("%(name)s is not a PDF, Word (.docx) or Excel (.xlsx) file.")
        raise AttachmentRejected(message % {"name": name}, field="attachments")
    return kind
