"""The public contact form's helpers: a per-address rate limit, and answers in the person's language."""

from __future__ import annotations

import time

from fastapi import HTTPException, Request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

ACKNOWLEDGEMENTS: dict[str, str] = {
    "sv": "Tack. Vi har tagit emot din begäran. Integrationstjänsterna kontaktar dig.",
    "fi": "Kiitos. Pyyntösi on vastaanotettu. Kotoutumispalvelut ottavat sinuun yhteyttä.",
    "en": "Thank you. We have received your request. The integration services will contact you.",
    "ru": "Спасибо. Мы получили ваш запрос. Службы интеграции свяжутся с вами.",
    "et": "Aitäh. Oleme teie taotluse kätte saanud. Lõimumisteenused võtavad teiega ühendust.",
    "ar": "شكرًا لك. لقد استلمنا طلبك. ستتواصل معك خدمات الاندماج.",
    "uk": "Дякуємо. Ми отримали ваш запит. Служби інтеграції зв'яжуться з вами.",
    "ku": "Spas. Me daxwaza te wergirt. Karûbarên entegrasyonê dê bi te re têkilî daynin.",
    "th": "ขอบคุณ เราได้รับคำขอของคุณแล้ว บริการด้านการบูรณาการจะติดต่อคุณ",
    "tl": "Salamat. Natanggap namin ang iyong kahilingan. Makikipag-ugnayan sa iyo ang mga serbisyo ng integrasyon.",
    "de": "Vielen Dank. Wir haben Ihre Anfrage erhalten. Die Integrationsdienste werden sich bei Ihnen melden.",
    "pl": "Dziękujemy. Otrzymaliśmy Twoją prośbę. Służby integracyjne skontaktują się z Tobą.",
}
"""The acknowledgement of a contact request, in the programme's twelve languages."""

CHECK_FIELDS: dict[str, str] = {
    "sv": "Kontrollera de markerade fälten.",
    "fi": "Tarkista merkityt kentät.",
    "en": "Please check the marked fields.",
    "ru": "Проверьте отмеченные поля.",
    "et": "Palun kontrollige märgitud välju.",
    "ar": "يرجى التحقق من الحقول المحددة.",
    "uk": "Перевірте позначені поля.",
    "ku": "Ji kerema xwe qadên nîşankirî kontrol bike.",
    "th": "โปรดตรวจสอบช่องที่ทำเครื่องหมายไว้",
    "tl": "Pakisuri ang mga minarkahang field.",
    "de": "Bitte prüfen Sie die markierten Felder.",
    "pl": "Sprawdź zaznaczone pola.",
}

TOO_MANY: dict[str, str] = {
    "sv": "För många förfrågningar. Försök igen senare.",
    "fi": "Liian monta pyyntöä. Yritä myöhemmin uudelleen.",
    "en": "Too many requests. Please try again later.",
    "ru": "Слишком много запросов. Попробуйте позже.",
    "et": "Liiga palju päringuid. Proovige hiljem uuesti.",
    "ar": "طلبات كثيرة جدًا. حاول مرة أخرى لاحقًا.",
    "uk": "Забагато запитів. Спробуйте пізніше.",
    "ku": "Gelek daxwaz. Ji kerema xwe paşê dîsa biceribîne.",
    "th": "มีคำขอมากเกินไป โปรดลองอีกครั้งในภายหลัง",
    "tl": "Masyadong maraming kahilingan. Pakisubukang muli mamaya.",
    "de": "Zu viele Anfragen. Bitte versuchen Sie es später erneut.",
    "pl": "Zbyt wiele żądań. Spróbuj ponownie później.",
}

DEFAULT_LANGUAGE = "en"


def language_of(request: Request) -> str:
    """The first language in Accept-Language that we speak (by quality), else English."""
    offered: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        primary = {"ckb": "ku", "kmr": "ku", "fil": "tl"}.get(primary, primary)
        if primary in ACKNOWLEDGEMENTS and quality > 0:
            offered.append((-quality, position, primary))
    return min(offered)[2] if offered else DEFAULT_LANGUAGE


class RateLimit:
    """A moving-window limit per client address, in this process (one intake process serves the form;
    several would need the `limits` library's shared storage)."""

    def __init__(self, spec: str) -> None:
        self.items = parse_many(spec)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        address = request.client.host if request.client else "unknown"
        for item in self.items:
            if not self.limiter.hit(item, "public", address):
                reset = self.limiter.get_window_stats(item, "public", address).reset_time
                language = language_of(request)
                raise HTTPException(429, {"message": TOO_MANY[language], "language": language,
                                          "limit": str(item)},
                                    headers={"Retry-After": str(max(1, int(reset - time.time())))})
