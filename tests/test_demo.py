"""seed-demo: the bundled symposium and sample event, imported idempotently."""

from __future__ import annotations

import json
from pathlib import Path

from symposium.extensions import db
from symposium.services.events import find_event
from symposium.services.interchange import dumps, export_event

DEMO = Path(__file__).resolve().parent.parent / "symposium" / "demo"


def _snapshot(app):
    with app.app_context():
        result = {}
        for slug in ("ide-2026", "ide-2027-sample"):
            event = find_event(db.session, slug)
            result[slug] = (dumps(export_event(event)), event.updated_at, event.agenda_version)
        return result


def test_seed_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "ide-2026: created" in first.output
    before = _snapshot(app)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert second.output.count("already up to date") == 2
    assert _snapshot(app) == before
    # the bundled files are in canonical form: export gives them back byte for byte
    for slug, (text, _updated, _version) in before.items():
        assert text == (DEMO / f"{slug}.json").read_text(encoding="utf-8")


def test_demo_symposium_content():
    data = json.loads((DEMO / "ide-2026.json").read_text(encoding="utf-8"))
    assert data["slug"] == "ide-2026" and data["status"] == "published"
    assert data["timezone"] == "Asia/Riyadh" and data["starts_on"] == "2026-01-26"
    assert data["registration_open"] is False and data["capacity"] == 300
    assert set(data["title"]) == {"ar", "en", "fr"} and set(data["description"]) == {
        "ar",
        "en",
        "fr",
    }
    assert (
        "كيف تسهم مدن التعلم التابعة لليونسكو في جعل التعلم للجميع حقيقة واقعة؟"
        in data["title"]["ar"]
    )
    assert 10 <= len(data["sessions"]) <= 14
    kinds = {s["kind"] for s in data["sessions"]}
    assert {"opening", "keynote", "roundtable", "panel", "break", "closing"} <= kinds
    assert any(s["capacity"] for s in data["sessions"] if s["kind"] in {"workshop", "roundtable"})
    for fact in ("72", "46", "425", "91", "500"):
        assert fact in data["description"]["en"]
    for person in data["speakers"]:
        assert person["email"].endswith("@example.org")
        assert set(person["bio"]) == {"ar", "en", "fr"}
    sample = json.loads((DEMO / "ide-2027-sample.json").read_text(encoding="utf-8"))
    assert sample["is_sample"] is True and sample["registration_open"] is True
    assert sample["starts_on"] == "2027-01-24"
    assert sum(1 for s in sample["sessions"] if s["capacity"]) >= 2


def test_sample_event_shows_its_banner(app, runner, client):
    runner.invoke(args=["seed-demo"])
    for lang in ("ar", "en", "fr"):
        page = client.get(f"/{lang}/events/ide-2027-sample/agenda").get_data(as_text=True)
        assert 'class="sample-banner"' in page
    assert 'class="sample-banner"' not in client.get("/en/events/ide-2026/").get_data(as_text=True)
