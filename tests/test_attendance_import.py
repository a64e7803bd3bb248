"""Attendance import: CSV with an email column, from the workspace and the CLI."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from symposium.models import Registration
from symposium.services.attendance import AttendanceImportError, import_attendance, read_emails
from tests.conftest import make_user
from tests.factories import make_event
from tests.pdf_helpers import make_registration


def _people(session):
    event = make_event(
        session, "att", day=date(2026, 1, 24)
    )  # over: attendance may be recorded, certificates issued
    make_registration(session, event, "Ana", "ana@example.org", attended=False)
    make_registration(session, event, "Bo", "bo@example.org", attended=True)
    make_registration(session, event, "Cy", "cy@example.org", attended=False, status="waitlisted")
    make_registration(session, event, "Di", "di@example.org", attended=False, status="cancelled")
    session.commit()
    return event


def test_read_emails_header_bom_and_separators():
    assert read_emails("\ufeffName;E-Mail\nA;a@x.org\nB;\n") == ["a@x.org"]
    assert read_emails(b"\xef\xbb\xbfEMAIL,other\nA@X.org,1\n") == ["A@X.org"]
    with pytest.raises(AttendanceImportError):
        read_emails("name,phone\nA,1\n")
    with pytest.raises(AttendanceImportError):
        read_emails(b"\xff\xfe\x00bad")
    with pytest.raises(AttendanceImportError):
        read_emails("")


def test_import_marks_and_reports(ctx):
    event = _people(ctx)
    data = "Email,Name\nANA@example.org ,Ana\nbo@example.org,Bo\ncy@example.org,Cy\ndi@example.org,Di\nzz@example.org,?\n"
    result = import_attendance(ctx, event, data)
    ctx.commit()
    assert result.marked == ["ANA@example.org"]
    assert result.already == ["bo@example.org"]
    assert result.unknown == ["zz@example.org"]
    assert sorted(result.not_confirmed) == [
        ("cy@example.org", "waitlisted"),
        ("di@example.org", "cancelled"),
    ]
    ana = ctx.scalar(select(Registration).where(Registration.email == "ana@example.org"))
    assert ana.checked_in_at is not None and ana.attendance_source == "import"


def test_cli_and_workspace(app, runner, client, auth, ctx, tmp_path):
    event = _people(ctx)
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("email\nana@example.org\nnobody@example.org\n", encoding="utf-8")
    result = runner.invoke(args=["attendance", "import", "att", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "marked attended: 1" in result.output and "unknown: nobody@example.org" in result.output

    make_user(app, "org@example.org", "organiser", events=[event])
    auth.login("org@example.org")
    response = client.post(
        "/en/manage/events/att/attendance/import",
        data={"file": (io.BytesIO(b"name\nno email column\n"), "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "email" in response.get_data(as_text=True)
    response = client.post(
        "/en/manage/events/att/attendance/import",
        data={"file": (io.BytesIO(b"Email\nana@example.org\nghost@example.org\n"), "list.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "ghost@example.org" in page

    result = runner.invoke(args=["certificates", "generate", "att"])
    assert result.exit_code == 0, result.output
    assert "issued 2" in result.output
