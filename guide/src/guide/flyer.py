"""The multilingual flyer with a QR code leading to the guide (programme §3): an A4 SVG and PDF per
language and one with every language. Texts come from the catalogues; the QR code is made by segno.

`python -m guide.flyer --out DIR [--base-url URL]` writes them all and prints where they are.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from fpdf import FPDF

from guide import i18n

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"))
"""Debian's fonts-dejavu-core (installed with chromium by deploy/chromium.py): Latin, Cyrillic and Arabic; and
fonts-noto-core (installed by deploy for notifications' letters) for Thai, which DejaVu lacks."""
FONT_PACKAGES = {"DejaVuSans.ttf": "fonts-dejavu-core", "DejaVuSans-Bold.ttf": "fonts-dejavu-core",
                 "NotoSansThai-Regular.ttf": "fonts-noto-core", "NotoSansThai-Bold.ttf": "fonts-noto-core"}
A4 = (210.0, 297.0)  # mm


def target(base_url: str, languages: Sequence[str]) -> str:
    """Where the QR code leads: the guide in that language, or the guide's start (the phone's language)."""
    base = base_url.rstrip("/")
    return f"{base}/{languages[0]}/" if len(languages) == 1 else f"{base}/"


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def _texts(language: str) -> tuple[str, str, str]:
    _ = i18n.Translator(language)
    return _("flyer.title"), _("flyer.lead"), _("flyer.scan")


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def svg(languages: Sequence[str], base_url: str) -> bytes:
    """An A4 SVG (in millimetres): texts per language, then the QR code and its address."""
    width, height = A4
    url = target(base_url, languages)
    single = len(languages) == 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
             f'viewBox="0 0 {width} {height}" lang="{languages[0] if single else "mul"}">',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             '<g font-family="DejaVu Sans, Noto Sans, Noto Sans Thai, Arial, sans-serif" fill="#0b2f52">']
    y = 28.0
    title_size, lead_size = (14.0, 7.5) if single else (7.5, 4.6)
    for language in languages:
        title, lead, scan = _texts(language)
        rtl = i18n.direction(language) == "rtl"
        x, anchor = (width - 18, "start") if rtl else (18.0, "start")
        common = f'lang="{language}" direction="{"rtl" if rtl else "ltr"}" text-anchor="{anchor}" x="{x}"'
        parts.append(f'<text {common} y="{y}" font-size="{title_size}" font-weight="bold">{escape(title)}</text>')
        y += title_size * 0.9
        for line in _wrap(lead + ("" if single else " " + scan), 34 if single else 62):
            parts.append(f'<text {common} y="{y}" font-size="{lead_size}">{escape(line)}</text>')
            y += lead_size * 1.35
        if single:
            y += 4
            parts.append(f'<text {common} y="{y}" font-size="{lead_size}">{escape(scan)}</text>')
        y += 6 if single else 3
    parts.append("</g>")
    qr = qr_code(url)
    size = 90.0
    border = 4
    modules = qr.symbol_size(scale=1, border=border)[0]
    scale = size / modules
    left, top = (width - size) / 2, max(y + 4, height - size - 30)
    path = "".join(f"M{col} {row}h1v1h-1z" for row, cells in enumerate(qr.matrix_iter(border=border))
                   for col, dark in enumerate(cells) if dark)
    parts.append(f'<g transform="translate({left:.2f} {top:.2f}) scale({scale:.4f})">'
                 f'<rect width="{modules}" height="{modules}" fill="#ffffff"/>'
                 f'<path d="{path}" fill="#000000" shape-rendering="crispEdges"/></g>')
    parts.append(f'<text x="{width / 2}" y="{top + size + 10}" font-size="6" text-anchor="middle" '
                 f'font-family="DejaVu Sans Mono, monospace" fill="#000000" direction="ltr">{escape(url)}</text>')
    parts.append("</svg>")
    return "\n".join(parts).encode()


def _font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{name} not found in {', '.join(map(str, FONT_DIRS))}: install the Debian package "
                            f"{FONT_PACKAGES[name]}")


def pdf(languages: Sequence[str], base_url: str) -> bytes:
    """An A4 PDF: texts per language (shaped, right to left for Arabic), then the QR code as an image."""
    url = target(base_url, languages)
    single = len(languages) == 1
    doc = FPDF(format="A4", unit="mm")
    doc.set_title("Integration services / Integrationstjänster / Kotoutumispalvelut")
    doc.set_creator("guide.flyer")
    doc.add_font("DejaVu", "", str(_font_file("DejaVuSans.ttf")))
    doc.add_font("DejaVu", "B", str(_font_file("DejaVuSans-Bold.ttf")))
    doc.add_font("NotoSansThai", "", str(_font_file("NotoSansThai-Regular.ttf")))
    doc.add_font("NotoSansThai", "B", str(_font_file("NotoSansThai-Bold.ttf")))
    doc.set_fallback_fonts(["NotoSansThai"])  # glyphs DejaVu lacks (Thai) come from Noto Sans Thai
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.set_margins(18, 18, 18)
    doc.set_y(18)
    title_size, lead_size = (30, 17) if single else (17, 11.5)
    for language in languages:
        title, lead, scan = _texts(language)
        rtl = i18n.direction(language) == "rtl"
        doc.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr", language=language)
        align = "R" if rtl else "L"
        doc.set_font("DejaVu", "B", title_size)
        doc.multi_cell(0, title_size * 0.5, title, align=align, new_x="LMARGIN", new_y="NEXT")
        doc.set_font("DejaVu", "", lead_size)
        doc.multi_cell(0, lead_size * 0.55, lead + ("\n" + scan if single else " " + scan), align=align,
                       new_x="LMARGIN", new_y="NEXT")
        doc.ln(3 if single else 1.5)
    png = io.BytesIO()
    qr_code(url).save(png, kind="png", scale=10, border=4)
    png.seek(0)
    size = 90.0
    top = max(doc.get_y() + 4, A4[1] - size - 30)
    doc.image(png, x=(A4[0] - size) / 2, y=top, w=size, h=size)
    doc.set_text_shaping(False)
    doc.set_font("DejaVu", "", 11)
    doc.set_xy(18, top + size + 4)
    doc.cell(A4[0] - 36, 6, url, align="C")
    return bytes(doc.output())


def write_all(out: Path, base_url: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, languages in [*((lang, [lang]) for lang in i18n.PAGE_LANGUAGES), ("all", list(i18n.PAGE_LANGUAGES))]:
        for kind, make in (("svg", svg), ("pdf", pdf)):
            path = out / f"guide-flyer-{name}.{kind}"
            path.write_bytes(make(languages, base_url))
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m guide.flyer", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-url", help="the guide's public address (default: the setting "
                                           "GUIDANCE_GUIDE_PUBLIC_URL)")
    args = parser.parse_args(argv)
    if args.base_url is None:
        from guide.config import GuideSettings

        args.base_url = GuideSettings().base
    written = write_all(args.out, args.base_url)
    print(f"flyers ({len(written)} files, A4 PDF and SVG per language and one with all): {args.out.resolve()}")
    print(f"  multilingual: {args.out.resolve() / 'guide-flyer-all.pdf'}")


if __name__ == "__main__":
    main()
