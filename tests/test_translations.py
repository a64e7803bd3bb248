"""Every message in the code and templates is in the ar and fr catalogs, translated, not fuzzy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}


def _method_map():
    return [
        ("symposium/**.py", "python"),
        ("symposium/**/templates/**.html", "jinja2"),
        ("symposium/**/templates/**.txt", "jinja2"),
    ]


def _extracted() -> set[str]:
    ids = set()
    options = {
        "symposium/**/templates/**.html": {"trimmed": "true"},
        "symposium/**/templates/**.txt": {"trimmed": "true"},
    }
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), _method_map(), options, KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    ids.discard("")
    return ids


def _catalog(lang: str):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_every_message_is_translated(lang):
    catalog = _catalog(lang)
    problems = []
    for msgid in sorted(_extracted()):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"missing from catalog: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {msgid!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
    assert not problems, (
        f"{lang}: " + "\n".join(problems[:50]) + f"\n({len(problems)} in all; run `make i18n`)"
    )


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_msgfmt_check_passes(lang):
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (gettext) is not installed")
    po = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_the_arabic_catalog_is_used(client):
    page = client.get("/ar/").get_data(as_text=True)
    assert 'dir="rtl"' in page
    assert "Skip to content" not in page
