"""Invented people for every test that needs personal data: `invent(seed)`, or `people()` in property tests.

Names are combined at random from lists in the scripts of the programme's languages; no list pairs
a first name with a surname, so no person is anyone in particular. E-mail addresses are on the
reserved example domains (RFC 2606). Finland has no telephone range reserved for fiction (unlike the
UK's +44 7700 900), so phones use the 000 block of mobile prefixes, which reads as made up. Streets are
invented; postal codes are those of Raseborg, Hanko and Inkoo. Every part is a single word of at
least four characters, so `tests/support/pii_scan.py` can look for it on the bus.
"""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import strategies as st

from contracts.ingress import identity_code

# language: (women's first names, men's first names, surnames as "women's form|men's form" where they differ)
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "fi": (("Aino", "Eeva", "Kaisa", "Liisa", "Sanna", "Veera"), ("Mikko", "Jukka", "Ilkka", "Tuomas"),
           ("Virtakallio", "Mäkiranta", "Koivuniemi", "Salmenkivi", "Harjuvaara", "Lehtokoski")),
    "sv": (("Astrid", "Linnea", "Ebba", "Gunnel", "Vendela"), ("Henrik", "Oskar", "Sixten"),
           ("Strandberg", "Ekholm", "Sjöblom", "Granqvist", "Lövgren", "Björkman")),
    "ru": (("Ольга", "Наталья", "Татьяна", "Ирина"), ("Дмитрий", "Алексей", "Вадим"),
           ("Соколова|Соколов", "Лебедева|Лебедев", "Морозова|Морозов", "Крылова|Крылов", "Белоусова|Белоусов")),
    "uk": (("Оксана", "Олена", "Мирослава", "Ярина"), ("Богдан", "Андрій", "Остап"),
           ("Коваленко", "Бондаренко", "Ткачук", "Мельничук", "Кравець", "Гнатюк")),
    "et": (("Kadri", "Tiina", "Liisi", "Triinu"), ("Margus", "Priit", "Urmas"),
           ("Tammik", "Saarepuu", "Rebane", "Kuusik", "Lepik", "Mägiste")),
    "ar": (("فاطمة", "مريم", "ليلى", "سلمى"), ("يوسف", "خالد", "أحمد"),
           ("الحسيني", "العمري", "حداد", "النجار", "الخطيب", "منصور")),
    "ku": (("Rojda", "Berfîn", "Zozan", "Hêvî"), ("Dilan", "Şêrko", "Azad"),
           ("Zaxoyî", "Berwarî", "Amedî", "Botanî", "Goranî", "Silêmanî")),
    "th": (("สมศรี", "มาลี", "สุดา", "วิไล"), ("ประเสริฐ", "อนุชา"),
           ("ศรีสุข", "แก้วมณี", "บุญมา", "ทองดี", "จันทร์เพ็ญ", "สุขสวัสดิ์")),
    "tl": (("Maricel", "Rowena", "Analyn", "Marites"), ("Jericho", "Rodel"),
           ("Dimaculangan", "Macaraeg", "Lacsamana", "Sarmiento", "Panganiban", "Villaruel")),
    "de": (("Annelie", "Katrin", "Heike", "Sabine"), ("Jürgen", "Matthias"),
           ("Brunnhuber", "Lindemayer", "Hoffstetter", "Kranzbichler", "Weidinger", "Ostermann")),
    "pl": (("Agnieszka", "Małgorzata", "Bożena", "Jadwiga"), ("Krzysztof", "Wojciech"),
           ("Wiśniewska|Wiśniewski", "Zielińska|Zieliński", "Kowalczyk", "Grabowska|Grabowski",
            "Pawłowska|Pawłowski", "Szczepańska|Szczepański")),
    "en": (("Harriet", "Imogen", "Eleanor"), ("Oliver", "Rupert", "Callum"),
           ("Ashworth", "Pemberton", "Thistlewood", "Hargreaves", "Blackwood", "Fairweather")),
}
LANGUAGES: tuple[str, ...] = tuple(NAMES)
NAME_PARTS: frozenset[str] = frozenset(
    part for women, men, surnames in NAMES.values() for part in women + men + tuple("|".join(surnames).split("|")))
"""Every first name and surname `invent` can produce."""

STREETS = ("Esimerkkitie", "Kuvitelmankatu", "Keksityntie", "Mallikuja", "Testipolku",
           "Exempelvägen", "Påhittgatan", "Låtsasgränd", "Modellstigen", "Provvägen")
# postal code, post office, municipality (a `contracts.vocabulary.Municipality` value)
POSTAL_CODES = (("10600", "Ekenäs", "raseborg"), ("10300", "Karis", "raseborg"),
                ("10900", "Hangö", "hango"), ("10210", "Ingå", "inga"))
DOMAINS = ("example.org", "example.com", "example.net")
MOBILE_PREFIXES = ("40", "41", "44", "45", "46", "50")
BORN_FROM, BORN_UNTIL = date(1940, 1, 1), date(2019, 12, 31)


@dataclass(frozen=True)
class Person:
    """An invented person with everything that must never reach the bus; `languages` preferred first."""

    name: str
    identity_code: str
    date_of_birth: date
    email: str
    phone: str
    street: str
    postal_code: str
    post_office: str
    home_municipality: str
    languages: tuple[str, ...]

    @property
    def street_address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.post_office}"

    def personal_data(self) -> dict:
        """The person as intake's `PersonalData` in JSON (an interpreter unless Finnish or Swedish comes first)."""
        return {"name": self.name, "identity_code": self.identity_code, "date_of_birth": self.date_of_birth.isoformat(),
                "email": self.email, "phone": self.phone,
                "address": {"street": self.street, "postal_code": self.postal_code, "post_office": self.post_office},
                "languages": list(self.languages), "interpreter_needed": self.languages[0] not in ("fi", "sv")}


def _ascii(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if c.isascii() and c.isalpha()).lower()


def invent(seed: int | str | None = None, **overrides) -> Person:
    """The same person for the same seed (a fresh one for None); `overrides` replace fields.

    An overridden `date_of_birth` gets a matching identity code unless `identity_code` is overridden too.
    """
    rng = random.Random(seed)
    language = rng.choice(LANGUAGES)
    women, men, surnames = NAMES[language]
    woman = rng.random() < 0.5
    first, forms = rng.choice(women if woman else men), rng.choice(surnames).split("|")
    last = forms[0 if woman else -1]
    born = overrides.get("date_of_birth", BORN_FROM + timedelta(days=rng.randrange((BORN_UNTIL - BORN_FROM).days)))
    postal_code, post_office, municipality = rng.choice(POSTAL_CODES)
    others = [c for c in ("fi", "sv", "en") if c != language]
    individual = rng.randrange(2, 899, 2) + (not woman)  # odd for men, even for women
    person = Person(
        name=f"{first} {last}",
        identity_code=identity_code(born, individual, rng.randrange(6)),
        date_of_birth=born,
        email=f"{_ascii(first) or 'person'}.{rng.randrange(1000, 10000)}@{rng.choice(DOMAINS)}",
        phone=f"+358 {rng.choice(MOBILE_PREFIXES)} 000 {rng.randrange(10000):04d}",
        street=f"{rng.choice(STREETS)} {rng.randrange(1, 120)}",
        postal_code=postal_code,
        post_office=post_office,
        home_municipality=municipality,
        languages=(language, *rng.sample(others, rng.randrange(3))),
    )
    return dataclasses.replace(person, **overrides)


def people(**overrides) -> st.SearchStrategy[Person]:
    """Invented people for property tests; shrinks towards `invent(0)`."""
    return st.integers(min_value=0, max_value=2**32 - 1).map(lambda seed: invent(seed, **overrides))
