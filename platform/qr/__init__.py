"""QR codes for the platform: rendering (SVG for print, PNG for images) and signed scan
tokens. Used by voucher redemption links, venue posters and personal cards."""
