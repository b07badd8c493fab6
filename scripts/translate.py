"""Merge the translation tables into the catalogs and report what is still missing.

Run after `make extract-messages`. Chinese comes from scripts/zh_*.py tables (one per area);
English uses the source text itself. Exits 1 and lists the messages with no Chinese yet.
"""

import importlib.util
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "app" / "translations"


def load_tables() -> dict:
    """Every ZH table in scripts/zh_*.py, merged."""
    table: dict = {}
    for path in sorted((ROOT / "scripts").glob("zh_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        table.update(module.ZH)
    return table


def fill(locale: str, table: dict) -> list:
    """Fill one catalog; return the message ids left without a translation."""
    path = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    catalog.fuzzy = False
    catalog.project, catalog.version = "callfloor", "1"
    catalog.msgid_bugs_address = catalog.last_translator = "callfloor"
    catalog.language_team = f"callfloor {locale}"
    catalog.header_comment = f"# callfloor messages ({locale}). Filled by scripts/translate.py."
    missing = []
    for message in catalog:
        if not message.id:
            continue
        message.flags.discard("fuzzy")
        if locale == "en":
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
            continue
        text = table.get(message.id if isinstance(message.id, str) else tuple(message.id))
        if text is None:
            missing.append(message.id)
            continue
        message.string = text if isinstance(message.id, str) else (text,)
    with path.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, no_location=True, width=100)
    return missing


def main() -> int:
    """Fill both catalogs."""
    table = load_tables()
    fill("en", table)
    missing = fill("zh", table)
    for message_id in missing:
        print("no Chinese for:", message_id)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
