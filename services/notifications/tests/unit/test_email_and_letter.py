import email
import re
import zlib
from email import policy
from uuid import uuid4

import pytest

from notifications.adapters.email import build, build_general
from notifications.adapters.letters import render_pdf
from notifications.adapters.sms import sign, signature_valid
from notifications.domain.offices import office_of
from notifications.domain.templates import template

pytestmark = pytest.mark.unit
PARAMS = {"name": "Test Person", "municipality": "raseborg", **office_of("raseborg")}


@pytest.mark.parametrize(("code", "language"), [("plan_issued", "ar"), ("plan_issued", "uk"), ("referral_made", "th"),
                                                ("interview_invitation", "ru")])
def test_a_long_subject_in_any_script_reads_back_exactly_as_written(code, language):
    rendered = template(code, language).render({**PARAMS, "starts_on": "2026-03-01", "ends_on": "2027-03-01",
                                                "service_code": "civic_orientation", "referred_on": "2026-03-01",
                                                "scheduled_at": "2026-03-10T09:30:00+00:00", "interpreter": True})
    msg = build(rendered, notification_id=uuid4(), sender="a@example.org", to="b@example.org", domain="n.example")

    assert email.message_from_bytes(msg.as_bytes(), policy=policy.default)["Subject"] == rendered.subject


def test_an_email_has_a_text_and_an_html_part_in_utf8_and_a_message_id_from_the_notification():
    nid = uuid4()
    rendered = template("welcome", "ar").render(PARAMS)
    msg = build(rendered, notification_id=nid, sender="a@example.org", to="b@example.org", domain="n.example")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == f"<{nid}@n.example>"
    assert parsed["Subject"] == rendered.subject and parsed["Content-Language"] == "ar"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert "خدمات الاندماج" in text.get_content() and 'dir="rtl"' in html.get_content()


@pytest.mark.parametrize("language", ["ar", "sv", "en"])
def test_the_fast_email_reads_the_same_as_the_general_one(language):
    nid = uuid4()
    rendered = template("welcome", language).render(PARAMS)
    made = {how: email.message_from_bytes(b(rendered, notification_id=nid, sender="a@example.org", to="b@example.org",
                                             domain="n.example").as_bytes(), policy=policy.default)
            for how, b in (("fast", build), ("general", build_general))}

    def reading(m):
        parts = [(p.get_content_type(), p.get_content_charset(), p.get_content()) for p in m.iter_parts()]
        return (m.get_content_type(), m["From"], m["To"], m["Subject"], m["Message-ID"], m["Content-Language"], parts)

    assert reading(made["fast"]) == reading(made["general"])


def test_an_address_that_is_not_ascii_is_built_the_general_way():
    rendered = template("welcome", "fi").render(PARAMS)
    msg = build(rendered, notification_id=uuid4(), sender="a@example.org", to="väinö@example.fi", domain="n.example")
    assert msg["To"] == "väinö@example.fi" and msg.get_body(("plain",)).get_content_charset() == "utf-8"


def _pdf_text_units(pdf: bytes) -> str:
    """The Unicode text of the PDF's ToUnicode maps (fpdf2 writes one per embedded font subset)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            chunks.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            chunks.append(stream.decode("latin-1"))
    targets = re.findall(r"<[0-9A-F]{4}> <([0-9A-F]+)>", "".join(chunks))
    return "".join(chr(int(t[i:i + 4], 16)) for t in targets for i in range(0, len(t), 4))


def test_an_arabic_letter_is_a_pdf_with_the_arabic_font_and_shaped_right_to_left_text():
    rendered = template("welcome", "ar").render(PARAMS)
    pdf = render_pdf(rendered, name="Test Person", address={"street": "Exempelgatan 1", "postal_code": "10600",
                                                            "post_office": "Ekenäs"}, sender="Integration services")
    assert pdf.startswith(b"%PDF-")
    assert b"NotoSansArabic" in pdf and b"/Lang (ar)" in pdf
    units = _pdf_text_units(pdf)
    assert "م" in units and "ر" in units  # Arabic glyphs are embedded and map back to Arabic letters


def test_receipt_signatures_are_checked_against_the_body():
    body = b'{"id":"1"}'
    assert signature_valid("k", body, sign("k", body))
    assert not signature_valid("k", body + b" ", sign("k", body))
    assert not signature_valid("", body, sign("", body))  # no secret configured: nothing is accepted
    assert not signature_valid("k", body, None)
