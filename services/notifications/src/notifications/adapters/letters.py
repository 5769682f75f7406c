"""The printable letter: a PDF in the client's language, right to left for Arabic (fpdf2 with
HarfBuzz text shaping, so Arabic letters join and runs are ordered by the Unicode bidi algorithm).

Fonts come from Debian's `fonts-noto-core` (deploy installs it): Noto Sans for Latin, Cyrillic and
Greek, with Noto Sans Arabic and Noto Sans Thai as fallbacks. The PDF is made when the municipality
asks for it, from the template and the contact details read from intake at that moment, and is
not stored.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from notifications.domain.templates import Rendered

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
FONTS = {"NotoSans": "NotoSans-Regular.ttf", "NotoSansArabic": "NotoSansArabic-Regular.ttf",
         "NotoSansThai": "NotoSansThai-Regular.ttf"}
DEBIAN_PACKAGE = "fonts-noto-core"


class FontsMissing(RuntimeError):
    pass


def _font(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    raise FontsMissing(f"font {name} not found (install the Debian package {DEBIAN_PACKAGE})")


def render_pdf(rendered: Rendered, *, name: str, address: dict | None, sender: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(rendered.subject)
    pdf.set_lang(rendered.language)
    for family, file in FONTS.items():
        pdf.add_font(family, fname=str(_font(file)))
    primary = "NotoSansArabic" if rendered.right_to_left else "NotoSans"
    pdf.set_fallback_fonts([f for f in FONTS if f != primary])
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rendered.right_to_left else "ltr",
                         language=rendered.language)
    pdf.set_margins(25, 20, 20)
    pdf.add_page()
    align = "R" if rendered.right_to_left else "L"
    pdf.set_font("NotoSans", size=9)
    pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
    pdf.multi_cell(0, 5, sender, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("NotoSans", size=11)  # the address window reads left to right, as the post reads it
    lines = [name]
    if address:
        lines += [address.get("street", ""), f"{address.get('postal_code', '')} {address.get('post_office', '')}"]
    pdf.multi_cell(90, 6, "\n".join(line for line in lines if line.strip()), align="L", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(18)
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rendered.right_to_left else "ltr",
                         language=rendered.language)
    pdf.set_font(primary, size=14)
    pdf.multi_cell(0, 8, rendered.subject, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(primary, size=11)
    for paragraph in rendered.text.strip().split("\n\n"):
        pdf.multi_cell(0, 6, paragraph, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())
