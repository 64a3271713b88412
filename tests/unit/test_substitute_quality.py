"""The suggestion-quality benchmark's verdicts hold on the demo catalog and on a file."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.substitutes import demo_catalog, file_catalog, judge, shares


def test_on_the_demo_catalog_every_suggestion_keeps_its_attributes_and_category() -> None:
    verdicts = judge(demo_catalog(), 3)
    result = shares(verdicts)
    assert result.suggested > 350 and result.attribute_share == 100.0
    assert result.category_share >= 95.0
    by_name = {v.product.name_en: v for v in verdicts}
    fairy = next(v for name, v in by_name.items() if "dishwashing liquid" in name)
    assert fairy.top and all("household_chemicals" in p.attribute_names for p in fairy.top)
    muesli = next(v for name, v in by_name.items() if "muesli" in name)
    assert {p.category for p in muesli.top} == {"grocery/breakfast_cereal"}


def test_a_catalog_file_is_judged_and_a_broken_attribute_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"products": [
        {"sku": "lf", "unit": "piece", "price_minor": 12000, "category": "dairy/milk",
         "size_text": "1 l", "attributes": ["Lactose-free"]},
        {"sku": "plain", "unit": "piece", "price_minor": 9000, "category": "dairy/milk",
         "size_text": "930 ml"},
        {"sku": "lf2", "unit": "piece", "price_minor": 13000, "category": "dairy/milk",
         "size_text": "1 l", "attributes": ["lactose_free", "organic"]},
    ]}), encoding="utf-8")
    catalog = file_catalog(path)
    assert catalog[0].size_amount == 1000 and catalog[1].size_amount == 930
    verdicts = {v.product.sku: v for v in judge(catalog, 3)}
    assert [p.sku for p in verdicts["lf"].top] == ["lf2"]
    assert [p.sku for p in verdicts["plain"].top] == ["lf", "lf2"]
    assert verdicts["lf2"].top == []  # nothing else is organic
    assert all(v.attributes_kept for v in verdicts.values())
