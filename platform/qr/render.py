"""Render QR codes with the ``qrcode`` library.

SVG is used on pages and for print (sharp at any size); PNG where an image file is
needed. Error correction M survives the folds and smudges of paper in a wallet.
"""

from __future__ import annotations

import io
import re

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def _code(data: str, border: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code


def svg(data: str, *, border: int = 4, title: str = "") -> str:
    """An inline ``<svg>`` element (no XML declaration) that scales with its box."""
    image = _code(data, border).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    markup = image.to_string(encoding="unicode")
    if markup.startswith("<?xml"):
        markup = markup.split("?>", 1)[1].lstrip()
    # Drop the fixed size so CSS decides; the viewBox keeps it square and sharp.
    markup = re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", markup, count=1)
    role = f' role="img" aria-label="{_escape(title)}"' if title else ' aria-hidden="true"'
    return markup.replace("<svg ", f'<svg class="qr"{role} ', 1)


def png(data: str, *, box_size: int = 8, border: int = 4) -> bytes:
    code = _code(data, border)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
