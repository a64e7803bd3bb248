"""Feedback questionnaires: answering (once, changed until closing, read-only after), who may
answer, validation, results (SVG charts, escaped free text), exports, the invitation email."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from symposium.extensions import db
from symposium.models import (
    Event,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
    Registration,
    ReminderLog,
    SessionJoin,
)
from symposium.services import feedback as service
from symposium.services.feedback import invites, results
from tests.feedback_helpers import (
    answers,
    build,
    close_questionnaire,
    mark_attended,
    set_settings,
)
from tests.manage_helpers import login
from tests.registration_helpers import outbox


def _post(client, world, who="amina", lang="en", **values):
    data = answers(world, **values) if not values.get("raw") else values["raw"]
    return client.post(f"/{lang}/r/{world.tokens[who]}/feedback", data=data)


def _stored(app, world, who="amina") -> dict:
    with app.app_context():
        response = db.session.scalar(
            db.select(FeedbackResponse).where(
                FeedbackResponse.registration_id == world.registrations[who]
            )
        )
        if response is None:
            return {}
        return service.current_values(response)


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(FeedbackResponse.id)))


# ---------------------------------------------------------------------------- answering


def test_answer_once_then_change_until_closing(app, client):
    world = build(app)
    page = client.get(f"/en/r/{world.tokens['amina']}/feedback")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in html
    assert page.headers["X-Robots-Tag"].startswith("noindex")
    # one fieldset per rated session with its legend; the break and the workshop without a
    # seat are not rated
    assert "Session s1" in html and "Session s2" in html
    assert "Session pause" not in html and "Session ws" not in html
    assert html.count("<legend>") >= 4

    first = _post(client, world)
    assert first.status_code == 303
    stored = _stored(app, world)
    q = world.questions
    assert stored[f"q{q['rating']}_s{world.sessions['s1']}"] == "5"
    assert stored[f"q{q['choice']}"] == "c1"
    assert stored[f"q{q['text']}"] == "Very good"

    again = _post(client, world, s1="2", s2="", choice="c2", text="Changed my mind")
    assert again.status_code == 303
    assert _responses(app) == 1  # replaced, not added
    stored = _stored(app, world)
    assert stored[f"q{q['rating']}_s{world.sessions['s1']}"] == "2"
    assert f"q{q['rating']}_s{world.sessions['s2']}" not in stored
    assert stored[f"q{q['choice']}"] == "c2"
    assert stored[f"q{q['text']}"] == "Changed my mind"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(FeedbackAnswer.id))) == 3

    shown = client.get(f"/en/r/{world.tokens['amina']}/feedback").get_data(as_text=True)
    assert "Changed my mind" in shown and "Save my changes" in shown


def test_closed_after_the_closing_date_read_only(app, client):
    world = build(app)
    assert _post(client, world).status_code == 303
    close_questionnaire(app, world)
    page = client.get(f"/en/r/{world.tokens['amina']}/feedback")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "can no longer be changed" in html
    assert 'class="feedback-form"' not in html
    assert "Very good" in html  # the answers, read-only
    refused = _post(client, world, text="Too late")
    assert refused.status_code == 409
    assert "Very good" == _stored(app, world)[f"q{world.questions['text']}"]
    with app.app_context():
        registration = db.session.get(Registration, world.registrations["omar"])
        with pytest.raises(service.FeedbackClosed):
            service.submit(db.session, registration, answers(world))


def test_not_open_before_the_event_ends(app, client):
    world = build(app, days_ago=-10)
    page = client.get(f"/fr/r/{world.tokens['amina']}/feedback")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Le questionnaire ouvrira le" in html
    assert 'class="feedback-form"' not in html
    assert _post(client, world).status_code == 409
    assert _responses(app) == 0


def test_cancelled_registration_is_refused(app, client):
    world = build(app)
    page = client.get(f"/en/r/{world.tokens['cancelled']}/feedback")
    assert page.status_code == 403
    assert "Only confirmed registrations" in page.get_data(as_text=True)
    assert _post(client, world, who="cancelled").status_code == 403
    assert _responses(app) == 0
    with app.app_context():
        registration = db.session.get(Registration, world.registrations["cancelled"])
        with pytest.raises(service.FeedbackClosed):
            service.submit(db.session, registration, answers(world))
        registration.status = "confirmed"
        registration.anonymised_at = datetime.now(UTC)
        assert not service.may_answer(registration)


def test_another_token_cannot_see_someone_elses_answers(app, client):
    world = build(app)
    assert _post(client, world, text="Amina's private remark").status_code == 303
    other = client.get(f"/en/r/{world.tokens['omar']}/feedback").get_data(as_text=True)
    assert "Amina's private remark" not in other
    assert "Amina" not in other
    assert client.get("/en/r/not-a-real-token/feedback").status_code == 404


def test_validation_messages_translated_and_input_kept(app, client):
    world = build(app)
    q = world.questions
    raw = {
        f"q{q['rating']}_s{world.sessions['s1']}": "7",
        f"q{q['choice']}": "",
        f"q{q['text']}": "Mon avis <b>honnête</b>",
    }
    page = _post(client, world, lang="fr", raw=raw)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Veuillez donner une note de 1 à 5." in html
    assert "Veuillez choisir une réponse." in html
    assert "Mon avis &lt;b&gt;honnête&lt;/b&gt;" in html  # kept, escaped
    assert 'aria-invalid="true"' in html
    assert _responses(app) == 0  # nothing half-written
    # an unknown choice and a text with a control character
    raw = {**answers(world), f"q{q['choice']}": "zz", f"q{q['text']}": "bad\x00text"}
    page = _post(client, world, lang="ar", raw=raw)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "يرجى اختيار إحدى الإجابات المقترحة." in html
    assert _responses(app) == 0


def test_required_rating_when_attendance_is_known(app, client):
    world = build(app)
    mark_attended(app, world, "amina", "s2")
    with app.app_context():
        db.session.add(
            SessionJoin(
                registration_id=world.registrations["amina"], session_id=world.sessions["ws"]
            )
        )
        db.session.commit()
        rated = service.rated_sessions(
            db.session, db.session.get(Registration, world.registrations["amina"])
        )
        assert rated.attendance_known
        assert [s.key for s in rated.sessions] == ["s2", "ws"]
    q = world.questions
    missing = {f"q{q['rating']}_s{world.sessions['s2']}": "4", f"q{q['choice']}": "c1"}
    page = _post(client, world, raw=missing)
    assert page.status_code == 400  # the workshop attended is not rated
    assert "Please give a rating from 1 to 5." in page.get_data(as_text=True)
    full = {**missing, f"q{q['rating']}_s{world.sessions['ws']}": "3"}
    assert _post(client, world, raw=full).status_code == 303


def test_required_rating_without_attendance_needs_one_session(app, client):
    world = build(app)
    q = world.questions
    none_rated = {f"q{q['choice']}": "c1"}
    page = _post(client, world, raw=none_rated)
    assert page.status_code == 400
    assert "Please rate at least one session." in page.get_data(as_text=True)
    one = {**none_rated, f"q{q['rating']}_s{world.sessions['s2']}": "5"}
    assert _post(client, world, raw=one).status_code == 303


def test_selfservice_page_links_the_questionnaire(app, client):
    world = build(app)
    html = client.get(f"/en/r/{world.tokens['amina']}").get_data(as_text=True)
    assert f"/en/r/{world.tokens['amina']}/feedback" in html
    assert "Answer the questionnaire" in html
    _post(client, world)
    html = client.get(f"/en/r/{world.tokens['amina']}").get_data(as_text=True)
    assert "Change my answers" in html
    cancelled = client.get(f"/en/r/{world.tokens['cancelled']}").get_data(as_text=True)
    assert "/feedback" not in cancelled


# ---------------------------------------------------------------------------- results


def _three_answers(client, world):
    assert _post(client, world, s1="5", s2="4", choice="c1", text="<script>alert(1)</script>")
    assert _post(client, world, who="omar", s1="5", s2="2", choice="c2", text="<b>x</b>")


def test_results_svg_contains_the_counts(app, client):
    world = build(app)
    _three_answers(client, world)
    login(client, f"organiser-{world.slug}@example.org")
    page = client.get(f"/en/manage/events/{world.slug}/feedback/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2 registrants answered." in html
    charts = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts) == 3  # s1, s2, the choice question
    s1 = next(c for c in charts if "Session s1" in c)
    assert '<rect x="150" y="7" width="340"' in s1  # "5": two answers, the longest bar
    assert re.search(r'data-count="2"', s1)
    assert "<title>" in s1 and "<desc>" in s1 and 'role="img"' in s1
    assert "5: 2 answers" in s1
    assert "Average 5 out of 5, 2 answers" in html
    assert "Average 3 out of 5, 2 answers" in html
    choice = next(c for c in charts if "How did you follow?" in c)
    assert "In person" in choice and "Online" in choice


def test_results_chart_is_mirrored_in_arabic(app, client):
    world = build(app)
    _three_answers(client, world)
    login(client, f"organiser-{world.slug}@example.org", lang="ar")
    html = client.get(f"/ar/manage/events/{world.slug}/feedback/results").get_data(as_text=True)
    s1 = next(c for c in re.findall(r"<svg.*?</svg>", html, re.S) if "جلسة s1" in c)
    assert 'direction="rtl"' in s1
    # the bars end at the labels' column on the right and grow to the left
    for x, width in re.findall(r'<rect x="(\d+)" y="\d+" width="(\d+)"', s1):
        assert int(x) + int(width) == results.WIDTH - results.LABEL_W
    assert f'<text x="{results.WIDTH - 4}"' in s1  # labels on the right
    assert "المتوسط" in html


def test_free_text_is_escaped(app, client):
    world = build(app)
    _three_answers(client, world)
    login(client, f"organiser-{world.slug}@example.org")
    html = client.get(f"/en/manage/events/{world.slug}/feedback/results").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_csv_and_xlsx_exports(app, client):
    world = build(app)
    assert _post(client, world, text='=HYPERLINK("http://evil")').status_code == 303
    assert _post(client, world, who="omar", text="@SUM(1+1)", choice="c2").status_code == 303
    login(client, f"organiser-{world.slug}@example.org")
    response = client.get(f"/en/manage/events/{world.slug}/feedback/answers.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Response", "Submitted at", "Changed at", "Question"]
    texts = [r[10] for r in rows[1:] if r[10]]
    assert '\'=HYPERLINK("http://evil")' in texts
    assert "'@SUM(1+1)" in texts
    ratings = [r for r in rows[1:] if r[7]]
    assert {(r[5], r[7]) for r in ratings if r[0] == "1"} == {("s1", "5"), ("s2", "4")}
    assert any(r[9] == "Online" and r[8] == "c2" for r in rows[1:])

    xlsx = client.get(f"/ar/manage/events/{world.slug}/feedback/answers.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.sheet_view.rightToLeft
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "الإجابة"
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value]
    evil = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert evil and all(c.data_type == "s" and str(c.value).startswith("'") for c in evil)
    assert any(c.value == "عبر الإنترنت" for c in cells)
    header = values[0]
    rating_col = header.index("التقييم")
    assert sorted(row[rating_col] for row in values[1:] if row[rating_col]) == [4, 4, 5, 5]
    assert isinstance(values[1][1], datetime)  # submitted at: a real date-time


# ---------------------------------------------------------------------------- invitation


def test_invite_email_sent_once_even_when_pressed_twice(app, client):
    world = build(app)
    login(client, f"organiser-{world.slug}@example.org")
    url = f"/en/manage/events/{world.slug}/feedback/invite"
    assert client.post(url).status_code == 303
    assert client.post(url).status_code == 303
    with app.app_context():
        emails = outbox(db.session, kind=invites.KIND)
        assert sorted(e.recipient for e in emails) == ["amina@example.org", "omar@example.org"]
        assert db.session.scalar(db.select(db.func.count(ReminderLog.id))) == 2
        omar = next(e for e in emails if e.recipient == "omar@example.org")
        assert "رأيك" in omar.subject
        message = email.message_from_bytes(omar.message, policy=email.policy.default)
        body = message.get_body(("plain",)).get_content()
        assert f"/ar/r/{world.tokens['omar']}/feedback" in body
        assert "عمر" in body
        # a later registrant gets it on the next press, the others not again
        event = db.session.get(Event, world.event_id)
        from tests.manage_helpers import make_registration

        make_registration(db.session, event, "Late", "late@example.org")
        db.session.commit()
        result = invites.send_invites(db.session, event)
        db.session.commit()
        assert (result.queued, len(outbox(db.session, kind=invites.KIND))) == (1, 3)


def test_invite_refused_before_the_event_ends(app, client):
    world = build(app, days_ago=-3)
    login(client, f"organiser-{world.slug}@example.org")
    page = client.post(f"/en/manage/events/{world.slug}/feedback/invite")
    assert page.status_code == 409
    assert "once the event has ended" in page.get_data(as_text=True)
    with app.app_context():
        assert outbox(db.session, kind=invites.KIND) == []


# ---------------------------------------------------------------------------- editor


def test_editor_adds_edits_moves_and_deletes_questions(app, client):
    world = build(app)
    login(client, f"organiser-{world.slug}@example.org")
    base = f"/en/manage/events/{world.slug}/feedback"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}?edit=999").status_code == 404
    bad = client.post(
        f"{base}/questions", data={"kind": "choice", "text_ar": "سؤال", "choices_ar": "واحد"}
    )
    assert bad.status_code == 400
    assert "at least two choices" in bad.get_data(as_text=True)
    assert 'value="سؤال"' in bad.get_data(as_text=True)
    ok = client.post(
        f"{base}/questions",
        data={
            "kind": "choice",
            "text_ar": "اللغة؟",
            "text_en": "Language?",
            "choices_ar": "العربية\nالفرنسية",
            "choices_en": "Arabic\nFrench",
            "required": "y",
        },
    )
    assert ok.status_code == 303
    with app.app_context():
        added = db.session.scalar(
            db.select(FeedbackQuestion).order_by(FeedbackQuestion.id.desc()).limit(1)
        )
        assert added.required and [c["key"] for c in added.choices] == ["c1", "c2"]
        assert added.choices[1]["label"] == {"ar": "الفرنسية", "en": "French"}
        qid = added.id
    page = client.get(f"{base}?edit={qid}").get_data(as_text=True)
    assert "French" in page and f"/questions/{qid}" in page
    # editing keeps the keys of existing lines and adds a new key for a new line
    edit = client.post(
        f"{base}/questions/{qid}",
        data={
            "kind": "choice",
            "text_ar": "اللغة؟",
            "choices_ar": "العربية\nالفرنسية\nالإنجليزية",
            "choices_en": "Arabic\nFrench\nEnglish",
        },
    )
    assert edit.status_code == 303
    assert client.post(f"{base}/questions/{qid}/move", data={"direction": "up"}).status_code == 303
    with app.app_context():
        q = db.session.get(FeedbackQuestion, qid)
        assert [c["key"] for c in q.choices] == ["c1", "c2", "c3"]
        assert not q.required
        order = [x.id for x in service.questions(db.session, q.event)]
        assert order.index(qid) == 2
    assert client.post(f"{base}/questions/{qid}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(FeedbackQuestion, qid) is None


def test_choice_keys_follow_their_text(app):
    world = build(app, organiser=False)
    with app.app_context():
        q = db.session.get(FeedbackQuestion, world.questions["choice"])

        def edit(*labels):
            data = service.QuestionData("choice", q.text, choices={"ar": list(labels)})
            service.edit_question(db.session, q, data)
            return {c["label"]["ar"]: c["key"] for c in q.choices}

        assert edit("حضوريًا", "عبر الإنترنت") == {"حضوريًا": "c1", "عبر الإنترنت": "c2"}
        # moved lines keep their key, a new line gets a new one
        assert edit("عبر الإنترنت", "من التسجيل", "حضوريًا") == {
            "عبر الإنترنت": "c2",
            "من التسجيل": "c3",
            "حضوريًا": "c1",
        }
        # a removed line in the middle does not hand its key to the next one
        assert edit("عبر الإنترنت", "حضوريًا") == {"عبر الإنترنت": "c2", "حضوريًا": "c1"}
        # a corrected label at the same line keeps the key
        assert edit("عبر الإنترنت (بث مباشر)", "حضوريًا") == {
            "عبر الإنترنت (بث مباشر)": "c2",
            "حضوريًا": "c1",
        }
        db.session.rollback()


def test_kind_cannot_change_once_answered(app, client):
    world = build(app)
    _post(client, world)
    login(client, f"organiser-{world.slug}@example.org")
    page = client.post(
        f"/en/manage/events/{world.slug}/feedback/questions/{world.questions['text']}",
        data={"kind": "rating", "text_ar": "ملاحظات؟"},
    )
    assert page.status_code == 400
    assert "its kind can no longer change" in page.get_data(as_text=True)


def test_settings_stored_and_checked(app, client):
    world = build(app)
    login(client, f"organiser-{world.slug}@example.org")
    url = f"/en/manage/events/{world.slug}/feedback/settings"
    ok = client.post(
        url,
        data={
            "opens": "2030-01-01T09:00",
            "closes_at": "2030-01-10T18:00",
            "required_for_certificate": "y",
        },
    )
    assert ok.status_code == 303
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        stored = event.settings["feedback"]
        assert stored["required_for_certificate"] is True
        assert stored["closes_at"].startswith("2030-01-10T18:00")
        assert service.required_for_certificate(event)
        assert service.phase(event) == "before"
    bad = client.post(url, data={"opens": "2030-01-10T09:00", "closes_at": "2030-01-01T09:00"})
    assert bad.status_code == 400
    assert "must come after" in bad.get_data(as_text=True)


def test_default_dates_follow_the_event_end(app):
    world = build(app, organiser=False)
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        end = max(s.ends_at for s in event.sessions)
        assert service.opens_at(event) == end
        assert service.closes_at(event) == end + timedelta(days=service.DEFAULT_OPEN_DAYS)
        assert service.phase(event, end - timedelta(minutes=1)) == "before"
        assert service.phase(event, end) == "open"
        assert service.phase(event, end + timedelta(days=15)) == "closed"
    set_settings(app, world, required_for_certificate=True)
    with app.app_context():
        assert service.required_for_certificate(db.session.get(Event, world.event_id))


def test_only_organisers_of_the_event_see_the_results(app, client):
    world = build(app)
    other = build(app, slug="other-event")
    login(client, f"organiser-{other.slug}@example.org")
    assert client.get(f"/en/manage/events/{world.slug}/feedback/results").status_code == 403
    assert client.get(f"/en/manage/events/{world.slug}/feedback/answers.csv").status_code == 403


# ---------------------------------------------------------------------------- demo


def test_demo_events_gain_a_sample_questionnaire(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        events = db.session.scalars(db.select(Event)).all()
        assert events
        for event in events:
            qs = service.questions(db.session, event)
            assert [q.kind for q in qs] == ["rating", "choice", "text"]
            assert qs[1].text["en"] == "How did you follow the symposium?"
            assert {c["key"] for c in qs[1].choices} == {"in_person", "online", "recording"}
            assert all(set(q.text) == {"ar", "en", "fr"} for q in qs)
        # no registrations in the demo: no invented answers
        assert db.session.scalar(db.select(db.func.count(FeedbackResponse.id))) == 0
        # seeding again adds nothing
        from symposium.services.feedback.demo import seed_demo_feedback

        assert seed_demo_feedback(db.session, events[0]) == 0
        assert len(service.questions(db.session, events[0])) == 3
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already up to date" in again.output


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_answers_without_the_csrf_token_are_refused(self, app, client):
        world = build(app, organiser=False)
        page = client.get(f"/en/r/{world.tokens['amina']}/feedback")
        assert 'name="csrf_token"' in page.get_data(as_text=True)
        refused = _post(client, world)
        assert refused.status_code == 400
        assert _responses(app) == 0


def test_my_data_holds_my_answers_and_deleting_it_removes_them(app, client):
    world = build(app)
    assert _post(client, world, text="Personal remark about me").status_code == 303
    token = world.tokens["amina"]
    data = client.get(f"/en/r/{token}/data.json").get_json()
    assert data["feedback"] is not None
    assert "Personal remark about me" in [a["text"] for a in data["feedback"]["answers"]]
    assert "online_joins" in data

    with app.app_context():
        from symposium.services import registration as reg

        registration = db.session.get(Registration, world.registrations["amina"])
        reg.anonymise(db.session, registration)
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(FeedbackResponse.id))) == 0
        assert db.session.scalar(db.select(db.func.count(FeedbackAnswer.id))) == 0


def test_the_link_is_emailed_by_itself_once_the_questionnaire_opens(app, runner):
    """The periodic job (on the shared scheduler) invites each registrant once when the
    questionnaire is open; not before the event ends; not when the organiser turned it off."""
    from symposium import scheduler

    assert scheduler.periodic_jobs()["feedback-invites"].path == service.INVITES_PATH
    world = build(app)
    future = build(app, days_ago=-3, slug="fb-later", organiser=False)
    quiet = build(app, slug="fb-quiet", organiser=False)
    set_settings(app, quiet, auto_invite=False)

    result = runner.invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    assert "feedback-invites: feedback_invites 2" in result.output
    with app.app_context():
        emails = outbox(db.session, kind=invites.KIND)
        assert sorted(e.recipient for e in emails) == ["amina@example.org", "omar@example.org"]
        assert invites.send_due_invites(db.session) == 0  # each once
        invited = db.session.scalars(
            db.select(ReminderLog.registration_id).where(ReminderLog.key == invites.INVITE_KEY)
        ).all()
        assert sorted(invited) == sorted(
            world.registrations[who] for who in ("amina", "omar")
        )  # none of the event not ended yet, none of the one that turned it off
        assert future.registrations["amina"] not in invited
        assert quiet.registrations["amina"] not in invited
