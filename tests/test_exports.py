"""Registration exports: CSV (UTF-8 with BOM, Arabic exact, formulas neutralised) and XLSX."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from symposium.extensions import db
from symposium.models import Event
from symposium.services.exports import neutralise, to_csv
from tests.manage_helpers import build_world, login, make_registration

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")

NAMES = [
    "ليلى الأحمد",
    '=HYPERLINK("http://evil.example","x")',
    "محمد بن سلمان",
    "+33 Jean",
    "@SUM(A1)",
]


@pytest.fixture
def world(app):
    world = build_world(app)
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        for i, name in enumerate(NAMES[1:]):
            make_registration(db.session, event, name, f"p{i}@example.org", country="FR")
        db.session.commit()
    return world


def test_neutralise():
    for value in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralise(value) == "'" + value
    assert neutralise("ليلى") == "ليلى"
    assert neutralise(None) == ""
    assert neutralise(12) == "12"


def test_csv_has_bom_and_keeps_arabic(app, client, world):
    login(client, "organiser@example.org")
    response = client.get(f"/en/manage/events/{world.slug}/registrations/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Name"
    names = {r[0] for r in rows[1:]}
    assert "ليلى الأحمد" in names and "محمد بن سلمان" in names
    assert "'" + NAMES[1] in names
    assert "'+33 Jean" in names and "'@SUM(A1)" in names
    assert not any(n.startswith(("=", "+", "@", "-")) for r in rows for n in r)


def test_csv_follows_filters(app, client, world):
    login(client, "organiser@example.org")
    response = client.get(f"/en/manage/events/{world.slug}/registrations/export.csv?country=SA")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["ليلى الأحمد"]
    # Arabic-aware search: without hamza, finds the name written with it
    response = client.get(f"/en/manage/events/{world.slug}/registrations/export.csv?q=الاحمد")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["ليلى الأحمد"]


def test_xlsx_same_rows_as_csv(app, client, world):
    login(client, "organiser@example.org", lang="ar")
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    f"/ar/manage/events/{world.slug}/registrations/export.csv?sort=name"
                ).data.decode("utf-8-sig")
            )
        )
    )
    response = client.get(f"/ar/manage/events/{world.slug}/registrations/export.xlsx?sort=name")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb.active
    xlsx_rows = [
        [c if c is not None else "" for c in row] for row in ws.iter_rows(values_only=True)
    ]
    # Times: ISO 8601 with offset in the CSV, the same local time as a date-time in the XLSX
    csv_rows = [
        [
            datetime.fromisoformat(v).replace(tzinfo=None) if i and ISO.fullmatch(v) else v
            for v in row
        ]
        for i, row in enumerate(csv_rows)
    ]
    assert xlsx_rows == csv_rows
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(1, ws.max_row + 1))


def test_to_csv_unit():
    body = to_csv(["a"], [["=x"], ["عربي"]])
    assert body.startswith("\ufeff".encode())
    assert body.decode("utf-8-sig").splitlines() == ["a", "'=x", "عربي"]
