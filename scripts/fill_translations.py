"""Fill the ar and fr catalogs from translations/src/*.json, then report what is missing.

Each JSON file maps a msgid to its translations: {"Sign in": {"ar": "تسجيل الدخول", "fr": "Se connecter"}}.
For a plural message the key is the singular msgid and each language gives a list of forms
(Arabic 6, French 2). Run through ``make i18n`` (extract, update, fill, compile).
Exit status 1 when a message is left untranslated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("ar", "fr")


def load_sources() -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for path in sorted((ROOT / "translations" / "src").glob("*.json")):
        for msgid, langs in json.loads(path.read_text(encoding="utf-8")).items():
            merged.setdefault(msgid, {}).update(langs)
    return merged


def main() -> int:
    sources = load_sources()
    missing_total = 0
    for lang in LANGS:
        po_path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        missing = []
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            found = sources.get(key, {}).get(lang)
            if found:
                if isinstance(message.id, tuple):
                    forms = found if isinstance(found, list) else [found]
                    n = catalog.num_plurals
                    forms = (forms + [forms[-1]] * n)[:n]
                    message.string = tuple(forms)
                else:
                    message.string = found if isinstance(found, str) else found[0]
                message.flags.discard("fuzzy")
            elif not (
                message.string and all(message.string)
                if isinstance(message.string, tuple)
                else message.string
            ):
                missing.append(key)
        catalog.fuzzy = False
        catalog.project = "symposium"
        catalog.version = "0.1"
        catalog.copyright_holder = "symposium contributors"
        catalog.last_translator = "symposium contributors"
        catalog.language_team = f"{lang} (symposium)"
        catalog.msgid_bugs_address = "symposium contributors"
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, sort_output=True)
        for key in missing:
            print(f"{lang}: untranslated: {key!r}")
        missing_total += len(missing)
    return 1 if missing_total else 0


if __name__ == "__main__":
    sys.exit(main())
