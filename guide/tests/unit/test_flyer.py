"""The QR flyer: A4, one per language and one with all, and a QR code that a decoder reads as the
guide's address in that language."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from guide import flyer, i18n

pytestmark = pytest.mark.unit

BASE = "https://integration.example.fi/guide"


def decoded_qr_codes(pdf: bytes) -> list[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return [code.text for image in page.images
            for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))]


@pytest.mark.parametrize("language", i18n.PAGE_LANGUAGES)
def test_the_pdf_flyer_of_a_language_leads_to_the_guide_in_that_language(language):
    pdf = flyer.pdf([language], BASE)

    assert decoded_qr_codes(pdf) == [f"{BASE}/{language}/"]
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4


@pytest.mark.parametrize("language", ["sv", "fi", "ru", "uk", "th", "ku", "de", "pl"])
def test_the_pdf_flyer_says_what_it_is_in_its_language(language):
    text = PdfReader(io.BytesIO(flyer.pdf([language], BASE))).pages[0].extract_text()

    assert i18n.Translator(language)("flyer.title") in text


def test_the_thai_flyer_is_set_in_a_font_that_has_thai_letters():
    page = PdfReader(io.BytesIO(flyer.pdf(["th"], BASE))).pages[0]
    fonts = {f.get_object()["/BaseFont"].split("+")[-1] for f in page["/Resources"]["/Font"].values()}

    assert {"NotoSansThai", "NotoSansThaiBold"} <= fonts, fonts


def test_the_multilingual_flyer_leads_to_the_guides_start_which_picks_the_phones_language():
    pdf = flyer.pdf(list(i18n.PAGE_LANGUAGES), BASE)

    assert decoded_qr_codes(pdf) == [f"{BASE}/"]
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert all(i18n.Translator(lang)("flyer.title") in text for lang in ("sv", "fi", "en", "ru", "et", "uk"))


def test_the_svg_flyer_is_a4_with_each_languages_text_marked_with_its_language_and_direction():
    root = ET.fromstring(flyer.svg(list(i18n.PAGE_LANGUAGES), BASE))

    assert (root.get("width"), root.get("height")) == ("210.0mm", "297.0mm")
    texts = root.findall(".//{http://www.w3.org/2000/svg}text")
    titles = {t.get("lang"): t for t in texts if t.text == i18n.Translator(t.get("lang") or "en")("flyer.title")}
    assert set(titles) == set(i18n.PAGE_LANGUAGES)
    assert titles["ar"].get("direction") == "rtl" and titles["sv"].get("direction") == "ltr"
    assert any(t.text == f"{BASE}/" for t in texts)


def test_write_all_writes_a_pdf_and_an_svg_per_language_and_one_with_all(tmp_path):
    written = flyer.write_all(tmp_path, BASE)

    names = {p.name for p in written}
    assert names == {f"guide-flyer-{n}.{k}" for n in (*i18n.PAGE_LANGUAGES, "all") for k in ("pdf", "svg")}
    assert decoded_qr_codes((tmp_path / "guide-flyer-ar.pdf").read_bytes()) == [f"{BASE}/ar/"]
