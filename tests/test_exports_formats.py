"""Registration exports that other software reads right: ISO 8601 times with offset (CSV, JSON),
real date-times in XLSX, a right-to-left Arabic workbook, translated values with their raw
codes, locale-aware lists, one charset; and the event's export.json identical to the CLI's."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from symposium.extensions import db
from symposium.models import Event
from symposium.services import registration as reg
from tests.factories import make_session
from tests.manage_helpers import build_world, login
from tests.registration_helpers import data

CREATED = datetime(2026, 11, 29, 14, 49, 7, tzinfo=UTC)  # 17:49:07 in Riyadh
CHECKED_IN = datetime(2027, 1, 24, 6, 15, tzinfo=UTC)  # 09:15 in Riyadh
RIYADH = timedelta(hours=3)


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        event.hybrid = True  # so that online attendance is possible
        titles = (
            {"en": "Water", "fr": "Eau", "ar": "المياه"},
            {"en": "Heritage", "fr": "Patrimoine", "ar": "التراث"},
        )
        for key, start, title in (("s1", "11:00", titles[0]), ("s2", "13:00", titles[1])):
            end = f"{int(start[:2]) + 1}:00"
            make_session(
                db.session,
                event,
                key,
                f"2027-01-24T{start}",
                f"2027-01-24T{end}",
                capacity=10,
                title=title,
            )
        result = reg.register(
            db.session,
            event,
            data(
                "Amina Haddad",
                "amina@example.org",
                sessions=["s1", "s2"],
                country="MA",
                attendance_mode="online",
                preferred_language="fr",
            ),
            notify=False,
        )
        result.registration.created_at = CREATED
        result.registration.checked_in_at = CHECKED_IN
        db.session.commit()
    return world


def _get(client, world, lang: str, fmt: str):
    response = client.get(f"/{lang}/manage/events/{world.slug}/registrations/export.{fmt}")
    assert response.status_code == 200
    return response


def _csv(client, world, lang: str) -> list[dict]:
    text = _get(client, world, lang, "csv").data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_times_are_iso_8601_with_the_event_offset(client, world):
    login(client, "organiser@example.org")
    rows = _csv(client, world, "en")
    amina = next(r for r in rows if r["Email"] == "amina@example.org")
    assert amina["Registered at"] == "2026-11-29T17:49:07+03:00"
    registered = datetime.fromisoformat(amina["Registered at"])
    assert registered == CREATED and registered.utcoffset() == RIYADH
    checked = datetime.fromisoformat(amina["Checked in at"])
    assert checked == CHECKED_IN and checked.utcoffset() == RIYADH
    # Every other registration's time parses too
    for row in rows:
        assert datetime.fromisoformat(row["Registered at"]).utcoffset() == RIYADH


def test_csv_content_type_names_one_charset(client, world):
    login(client, "organiser@example.org")
    response = _get(client, world, "en", "csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_values_translated_with_raw_codes_and_lists_in_the_language(client, world):
    login(client, "organiser@example.org", lang="fr")
    amina = next(r for r in _csv(client, world, "fr") if r["E-mail"] == "amina@example.org")
    assert (amina["Statut"], amina["Code du statut"]) == ("Confirmé", "confirmed")
    assert (amina["Participation"], amina["Code de participation"]) == ("En ligne", "online")
    assert (amina["Langue préférée"], amina["Code de la langue"]) == ("français", "fr")
    assert (amina["Pays"], amina["Code du pays"]) == ("Maroc", "MA")
    assert amina["Séances"] == "Eau et Patrimoine"

    ar = next(r for r in _csv(client, world, "ar") if r["البريد الإلكتروني"] == "amina@example.org")
    assert ar["رمز الحالة"] == "confirmed" and ar["رمز اللغة"] == "fr"
    assert ar["اللغة المفضلة"] == "الفرنسية"
    assert ar["الجلسات"] == "المياه والتراث"


def test_xlsx_has_real_datetimes(client, world):
    login(client, "organiser@example.org")
    ws = load_workbook(io.BytesIO(_get(client, world, "en", "xlsx").data)).active
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "amina@example.org")
    registered = row[header.index("Registered at")]
    assert registered.data_type == "d" and registered.is_date
    assert registered.value == datetime(2026, 11, 29, 17, 49, 7)  # the event's local time
    assert registered.number_format == "yyyy-mm-dd hh:mm:ss"
    checked = row[header.index("Checked in at")]
    assert checked.value == datetime(2027, 1, 24, 9, 15)
    assert row[header.index("Name")].data_type == "s"
    assert ws.title == "Registrations" and not ws.sheet_view.rightToLeft


def test_arabic_workbook_is_right_to_left_and_named_in_arabic(client, world):
    login(client, "organiser@example.org", lang="ar")
    ws = load_workbook(io.BytesIO(_get(client, world, "ar", "xlsx").data)).active
    assert ws.sheet_view.rightToLeft is True
    assert ws.title == "التسجيلات"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["الاسم", "البريد الإلكتروني", "الحالة", "رمز الحالة"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "amina@example.org")
    assert row[header.index("الحالة")].value == "مؤكَّد"


def test_json_export(client, world):
    login(client, "organiser@example.org", lang="fr")
    response = _get(client, world, "fr", "json")
    assert response.headers["Content-Type"] == "application/json"
    document = json.loads(response.data)
    assert document["timezone"] == "Asia/Riyadh" and document["language"] == "fr"
    amina = next(r for r in document["registrations"] if r["email"] == "amina@example.org")
    assert datetime.fromisoformat(amina["registered_at"]) == CREATED
    assert datetime.fromisoformat(amina["registered_at"]).utcoffset() == RIYADH
    assert datetime.fromisoformat(amina["checked_in_at"]) == CHECKED_IN
    assert (amina["status"], amina["status_label"]) == ("confirmed", "Confirmé")
    assert (amina["attendance_mode"], amina["attendance_mode_label"]) == ("online", "En ligne")
    assert [s["key"] for s in amina["sessions"]] == ["s1", "s2"]


def test_web_export_json_is_byte_identical_to_the_cli(client, runner, world):
    login(client, "organiser@example.org")
    response = client.get(f"/en/manage/events/{world.slug}/export.json")
    assert response.status_code == 200
    result = runner.invoke(args=["event", "export", world.slug])
    assert result.exit_code == 0, result.output
    assert response.data == result.stdout_bytes
    assert response.data.endswith(b"\n")
