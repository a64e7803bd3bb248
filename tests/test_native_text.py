"""Arabic and French that read native: lists joined by the language (CLDR), no Latin commas in
Arabic text, the timezone in words, Arabic plural forms, no «؟.» after a question title, French
typography in the catalog, no letter-spacing on Arabic."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, ngettext

from symposium.extensions import db
from symposium.i18n import join_apposition, join_list, tidy_punctuation, tz_label
from symposium.models import Event
from symposium.services import notifications
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.manage_helpers import PASSWORD, make_organiser, make_registration
from tests.pdf_helpers import pdf_text

ROOT = Path(__file__).resolve().parent.parent
ARABIC = "\u0600-\u06ff"
# A Latin comma (or semicolon) glued between two Arabic words: «مدير الجلسات, مدير…»
LATIN_COMMA_IN_ARABIC = re.compile(rf"[{ARABIC}][\s\u200e\u200f]*[,;][\s\u200e\u200f]*[{ARABIC}]")
QUESTION_TITLE = {
    "ar": "هل نقرأ المدن؟",
    "en": "Do we read cities?",
    "fr": "Lisons-nous les villes ?",
}


class _Text(HTMLParser):
    """The visible text of a page (no tags, scripts or styles)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def _seed(app, *, title=None) -> str:
    with app.app_context():
        s = db.session
        event = make_event(
            s,
            "native",
            title=title
            or {"ar": "ندوة المدن المتعلمة", "en": "Learning cities", "fr": "Villes apprenantes"},
            organisers={"ar": "وزارة الثقافة", "en": "Ministry of Culture"},
        )
        room = make_room(s, event, "hall")
        panel = make_session(
            s, event, "panel", "2027-01-24T10:30", "2027-01-24T12:00", room=room, capacity=3
        )
        panel.confirmed_count = 1
        make_session(s, event, "closing", "2027-01-24T13:00", "2027-01-24T13:30", room=room)
        moderator = make_person(
            s,
            event,
            "moderator",
            name={"ar": "سارة العلي", "en": "Sara Al-Ali"},
            title={"ar": "مدير الجلسات", "en": "Session manager"},
            organisation={"ar": "جامعة الملك سعود"},
            city={"ar": "الرياض", "en": "Riyadh"},
            country="SA",
        )
        speaker = make_person(
            s,
            event,
            "speaker",
            name={"ar": "خالد المطيري", "en": "Khalid Al-Mutairi"},
            title={"ar": "مدير المركز الإقليمي", "en": "Director"},
            city={"ar": "جدة", "en": "Jeddah"},
            country="SA",
        )
        add_speaker(s, panel, moderator, "moderator")
        add_speaker(s, panel, speaker, "speaker")
        registration = make_registration(
            s, event, "ليلى الأحمد", "layla@example.org", preferred_language="ar"
        )
        s.commit()
        return registration.token


def test_arabic_public_pages_and_programme_have_no_latin_comma_between_arabic_words(
    app, client, tmp_path
):
    token = _seed(app)
    paths = [
        "/ar/",
        "/ar/events/native/",
        "/ar/events/native/agenda",
        "/ar/events/native/sessions/panel",
        "/ar/events/native/speakers",
        "/ar/events/native/speakers/moderator",
        "/ar/events/native/register",
        f"/ar/r/{token}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = visible_text(response.get_data(as_text=True))
        assert not LATIN_COMMA_IN_ARABIC.search(text), (path, LATIN_COMMA_IN_ARABIC.findall(text))
    agenda = visible_text(client.get("/ar/events/native/agenda").get_data(as_text=True))
    assert "سارة العلي، مدير الجلسات" in agenda  # the Arabic comma between a name and a title
    speakers = visible_text(client.get("/ar/events/native/speakers").get_data(as_text=True))
    assert "الرياض، المملكة العربية السعودية" in speakers
    response = client.get("/ar/events/native/programme.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert "سارة العلي" in text and "مدير الجلسات" in text
    assert not LATIN_COMMA_IN_ARABIC.search(text), LATIN_COMMA_IN_ARABIC.findall(text)


def test_lists_are_joined_the_way_each_language_joins_them(app, client):
    with app.test_request_context():
        assert join_list(["سارة", "خالد", "ليلى"], "ar") == "سارة وخالد وليلى"
        assert join_list(["Sara", "Khalid", "Layla"], "en") == "Sara, Khalid, and Layla"
        assert join_list(["Sara", "Khalid", "Layla"], "fr") == "Sara, Khalid et Layla"
        assert join_list(["", "Sara", None], "fr") == "Sara"
        assert join_apposition(["الرياض", "السعودية"], "ar") == "الرياض، السعودية"
        assert join_apposition(["Riyad", "Arabie saoudite"], "fr") == "Riyad, Arabie saoudite"
    # the workspace agenda lists each session's speakers in the page's language
    _seed(app)
    with app.app_context():
        event_id = db.session.scalar(db.select(Event.id).where(Event.slug == "native"))
    make_organiser(app, "organiser@example.org", event_id)
    client.post("/en/login", data={"email": "organiser@example.org", "password": PASSWORD})
    page = client.get("/en/manage/events/native/agenda").get_data(as_text=True)
    assert "Sara Al-Ali and Khalid Al-Mutairi" in html.unescape(page)
    assert "Sara Al-Ali، " not in page
    page = client.get("/ar/manage/events/native/agenda").get_data(as_text=True)
    assert "سارة العلي وخالد المطيري" in page


def test_the_timezone_is_named_in_words_never_the_iana_id(app, client):
    _seed(app)
    for lang, words in (("ar", "توقيت الرياض"), ("en", "Riyadh time"), ("fr", "heure de Riyad")):
        for path in ("/", "/agenda", "/sessions/panel", "/changes"):
            text = visible_text(client.get(f"/{lang}/events/native{path}").get_data(as_text=True))
            assert words in text, (lang, path)
            assert "Asia/Riyadh" not in text, (lang, path)
            assert "heure de heure" not in text and "à l'heure de heure" not in text
    with app.test_request_context():
        assert tz_label("Africa/Cairo", "fr") == "heure du Caire"
        assert tz_label("Africa/Abidjan", "fr") == "heure d’Abidjan"
        assert tz_label("Europe/Paris", "ar") == "توقيت باريس"
        assert tz_label("UTC", "fr") == "UTC"


ARABIC_PLACES_LEFT = {
    0: "لم يبقَ أي مقعد",
    1: "بقي مقعد واحد",
    2: "بقي مقعدان",
    3: "بقيت 3 مقاعد",
    10: "بقيت 10 مقاعد",
    11: "بقي 11 مقعدًا",
    100: "بقي 100 مقعد",
}


def test_arabic_counts_agree_with_their_number(app, client):
    with app.test_request_context("/ar/"), force_locale("ar"):
        for n, expected in ARABIC_PLACES_LEFT.items():
            assert ngettext("%(num)s place left", "%(num)s places left", n) == expected
        assert ngettext("%(num)s session", "%(num)s sessions", 2) == "جلستان"
        assert ngettext("%(num)s speaker", "%(num)s speakers", 1) == "متحدث واحد"
        assert ngettext("%(num)s place", "%(num)s places", 0) == "لا مقاعد"
    _seed(app)
    home = visible_text(client.get("/ar/events/native/").get_data(as_text=True))
    assert "جلستان" in home and "2 جلستان" not in home
    assert "متحدثان" in home and "2 متحدثان" not in home
    session = visible_text(client.get("/ar/events/native/sessions/panel").get_data(as_text=True))
    assert "بقي مقعدان" in session and "2 مقعدان" not in session


def test_no_doubled_stop_after_a_title_that_ends_in_punctuation(app):
    assert tidy_punctuation("تأكّد تسجيلك في هل نقرأ المدن؟.") == "تأكّد تسجيلك في هل نقرأ المدن؟"
    assert tidy_punctuation("Merci de participer à Quoi ?.") == "Merci de participer à Quoi ?"
    assert tidy_punctuation("Welcome to «Read!». Bye.") == "Welcome to «Read!» Bye."
    assert tidy_punctuation("Wait... ok.") == "Wait... ok."
    _seed(app, title=QUESTION_TITLE)
    with app.app_context():
        from symposium.models import Registration

        registration = db.session.scalar(db.select(Registration))
        for lang in ("ar", "en", "fr"):
            registration.preferred_language = lang
            subject, text, body, _lang = notifications.render(db.session, registration, "confirmed")
            title = QUESTION_TITLE[lang]
            assert title in text
            for doubled in ("؟.", "?."):
                assert doubled not in text and doubled not in body, (lang, text)


def _fr_catalog():
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale="fr")


def test_french_catalog_typography():
    problems = []
    words = set()
    for message in _fr_catalog():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if "'" in text:
                problems.append(f"straight apostrophe: {text!r}")
            for match in re.finditer(r"(.?)([:;?!])(?=\s|$|[»”)])", text):
                if match.group(1) != "\u202f":
                    problems.append(f"no narrow no-break space before {match.group(2)}: {text!r}")
            if re.search(r"«(?!\u202f)|(?<!\u202f)»", text):
                problems.append(f"« » without narrow no-break spaces: {text!r}")
            lowered = text.lower()
            for word in ("courriel", "adresse électronique", "e-mail"):
                if word in lowered:
                    words.add(word)
    assert not problems, "\n".join(problems[:30]) + f"\n({len(problems)} in all)"
    assert words == {"e-mail"}, f"one word for email, not {sorted(words)}"


def _letter_spacings(css_files: list[str], html_text: str) -> dict[str, float]:
    weasyprint = pytest.importorskip("weasyprint")
    stylesheets = [
        weasyprint.CSS(filename=str(ROOT / "symposium/static/css" / f)) for f in css_files
    ]
    document = weasyprint.HTML(string=html_text).render(stylesheets=stylesheets)
    found: dict[str, float] = {}

    def walk(box):
        text = getattr(box, "text", None)
        if text:
            spacing = box.style["letter_spacing"]
            found[text.strip().casefold()] = 0 if spacing == "normal" else float(spacing)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return found


def test_no_letter_spacing_on_arabic_text():
    page = (
        '<html><body><p class="kicker" lang="ar" dir="rtl">البرنامج</p>'
        '<p class="kicker" lang="en">Programme</p>'
        '<div dir="rtl"><p class="spaced">مرحبا</p></div></body></html>'
    )
    # the programme cover (PDF CSS)
    spacing = _letter_spacings(["pdf.css", "pdf-programme.css"], page)
    assert spacing["البرنامج"] == 0 and spacing["مرحبا"] == 0
    assert spacing["programme"] > 0  # Latin kickers keep their tracking
    # the web CSS protects Arabic from any class that spaces letters
    spaced = "<style>.spaced, .kicker { letter-spacing: .2em; }</style>" + page
    spacing = _letter_spacings(["site.css"], spaced)
    assert spacing["البرنامج"] == 0 and spacing["مرحبا"] == 0
    assert spacing["programme"] > 0
