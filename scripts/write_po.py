"""Write a .po file from a Python dict of translations (keeps the format valid).

Usage: python scripts/write_po.py LANG AREA  (reads scripts/translations/<AREA>_<LANG>.py)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent


def main(language: str, area: str) -> None:
    source = ROOT / "scripts" / "translations" / f"{area}_{language}.py"
    spec = importlib.util.spec_from_file_location("tr", source)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    catalog = Catalog(locale=language, project="storepick")
    for msgid, msgstr in module.MESSAGES.items():
        catalog.add(msgid, msgstr)
    out = ROOT / "app" / "locale" / language / "LC_MESSAGES" / f"{area}.po"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, width=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
