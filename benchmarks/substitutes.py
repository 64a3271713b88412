"""Quality of substitute suggestions: do the top 3 keep the category and every attribute?

    python -m benchmarks.substitutes [CATALOG.json] [--failures] [--top N]

For every product of the catalog (the demo store's by default, or a file in the
OMS catalog format ``{"products": [...]}`` as ``POST /api/v1/stores/{store}/catalog``
takes it, or a bare list of such products), this treats the product as a short
line with ``best_match`` and asks the same pure function the substitute page
uses (``picking.substitution.suggest``) for its suggestions, with every other
product of the catalog in stock as a candidate. When the product's own category
has nothing suitable, the page offers other kinds only if the picker asks: that
list is checked too (it must keep every attribute; its category differs by
design and is counted apart).

It prints one row per product and then the shares, beside a baseline computed in
the same run: the ranking before issue #15 (same category, else the wider group
without being asked; only unit and 18+ checked).

Targets: 100 % of suggestions keep every attribute; >= 95 % of products whose
category has an alternative get top-3 suggestions all of that category.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import print_table
from picking import attributes
from picking.lines import Line, Product
from picking.sale_policy import group_of
from picking.sizes import size_amount
from picking.substitution import _closeness, may_replace, suggest


def demo_catalog() -> list[Product]:
    from app.demo.catalog import demo_products

    return [Product(store_id=1, sku=p.sku, name_ru=p.name_ru, name_en=p.name_en, unit=p.unit,
                    price_minor=p.price_minor, zone=p.zone, category=p.category,
                    size_text=p.size_text, size_amount=p.size_ml_or_g, marked=p.marked,
                    age_restricted=p.age_restricted, stock=p.stock, brand=p.brand,
                    attributes=list(p.attributes), id=i)
            for i, p in enumerate(demo_products(), start=1)]


def file_catalog(path: Path) -> list[Product]:
    """Products from an OMS catalog file; a missing stock counts as in stock."""
    raw: Any = json.loads(path.read_text(encoding="utf-8"))
    entries = raw["products"] if isinstance(raw, dict) else raw
    return [Product(store_id=1, sku=str(e["sku"]), name_ru=str(e.get("name_ru", e["sku"])),
                    name_en=str(e.get("name_en", e["sku"])), unit=str(e.get("unit", "piece")),
                    price_minor=int(e.get("price_minor", 0)), category=str(e.get("category", "")),
                    size_text=str(e.get("size_text", "")),
                    size_amount=size_amount(str(e.get("size_text", ""))),
                    age_restricted=bool(e.get("age_restricted", False)),
                    stock=1 if e.get("stock") is None else int(e["stock"]),
                    brand=str(e.get("brand", "")),
                    attributes=attributes.normalise(e.get("attributes") or []), id=i)
            for i, e in enumerate(entries, start=1)]


@dataclass(frozen=True)
class Verdict:
    product: Product
    top: list[Product]
    wider: bool  # the picker had to ask for other kinds
    has_alternative: bool  # its category holds another product that may replace it

    @property
    def same_category(self) -> bool:
        return all(p.category == self.product.category for p in self.top)

    @property
    def attributes_kept(self) -> bool:
        return all(not attributes.broken(self.product.attribute_names, p.attribute_names)
                   for p in self.top)


def judge(catalog: Sequence[Product], top: int) -> list[Verdict]:
    verdicts = []
    for product in catalog:
        line = short_line(product)
        others = [p for p in catalog if p.sku != product.sku]
        found = suggest(line, others, limit=top)
        products, wider = found.products, False
        if not products and found.wider_available:
            products, wider = suggest(line, others, wider=True, limit=top).products, True
        alternative = any(p.category == product.category and p.stock > 0
                          and may_replace(product, p) is None for p in others)
        verdicts.append(Verdict(product, products, wider, alternative))
    return verdicts


def baseline(catalog: Sequence[Product], top: int) -> list[Verdict]:
    """The ranking before issue #15: the category, else the group unasked; unit and
    18+ only."""
    verdicts = []
    for product in catalog:
        usable = [p for p in catalog if p.sku != product.sku and p.stock > 0
                  and p.unit == product.unit
                  and not (p.age_restricted and not product.age_restricted)]
        same = [p for p in usable if p.category == product.category]
        pool = same or [p for p in usable if group_of(p.category) == group_of(product.category)]
        ranked = sorted(pool, key=lambda p: (_closeness(product, p), p.sku))[:top]
        verdicts.append(Verdict(product, ranked, not same and bool(pool), bool(same)))
    return verdicts


def short_line(product: Product) -> Line:
    return Line(product=product, quantity=1000 if product.is_weighed else 1,
                unit_price_minor=product.price_minor, id=1)


@dataclass(frozen=True)
class Shares:
    suggested: int
    attributes_kept: int
    with_alternative: int
    same_category: int

    @property
    def attribute_share(self) -> float:
        return 100 * self.attributes_kept / max(self.suggested, 1)

    @property
    def category_share(self) -> float:
        return 100 * self.same_category / max(self.with_alternative, 1)


def shares(verdicts: Iterable[Verdict]) -> Shares:
    vs = list(verdicts)
    suggested = [v for v in vs if v.top]
    alternative = [v for v in vs if v.has_alternative]
    return Shares(len(suggested), sum(v.attributes_kept for v in suggested), len(alternative),
                  sum(bool(v.top) and not v.wider and v.same_category for v in alternative))


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def report(catalog: Sequence[Product], top: int, failures_only: bool) -> tuple[Shares, Shares]:
    now, before = judge(catalog, top), baseline(catalog, top)
    rows = [[v.product.sku, v.product.name_en[:38], v.product.category,
             ",".join(v.product.attribute_names) or "-",
             " ".join(p.sku for p in v.top) or "(none)",
             "asked" if v.wider else "own" if v.top else "-",
             _mark(v.same_category) if v.top else "-",
             _mark(v.attributes_kept) if v.top else "-"]
            for v in now
            if not failures_only or (v.top and (not v.attributes_kept or (
                v.has_alternative and not v.same_category))) or (v.has_alternative and not v.top)]
    print_table(f"Top-{top} substitutes per product ({len(catalog)} products)",
                ["sku", "name", "category", "attributes", f"top {top}", "list",
                 "same category", "attributes kept"], rows)
    result, old = shares(now), shares(before)
    print_table("Shares (target: attributes 100 %, category >= 95 % where it has an "
                "alternative)", ["measure", "baseline (before #15)", "now", "now / baseline"], [
        ["products with suggestions", str(old.suggested), str(result.suggested), ""],
        ["top 3 keep every attribute", f"{old.attribute_share:.1f} % "
         f"({old.attributes_kept}/{old.suggested})",
         f"{result.attribute_share:.1f} % ({result.attributes_kept}/{result.suggested})",
         f"{result.attribute_share / max(old.attribute_share, 1e-9):.2f}"],
        ["top 3 same category (category has an alternative)",
         f"{old.category_share:.1f} % ({old.same_category}/{old.with_alternative})",
         f"{result.category_share:.1f} % ({result.same_category}/{result.with_alternative})",
         f"{result.category_share / max(old.category_share, 1e-9):.2f}"],
        ["other kinds shown only when asked", str(sum(v.wider for v in before)) + " unasked",
         str(sum(v.wider for v in now)) + " asked", ""],
    ])
    return result, old


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.substitutes")
    parser.add_argument("catalog", nargs="?", type=Path,
                        help="an OMS catalog JSON file (default: the demo store's catalog)")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--failures", action="store_true", help="print only failing products")
    args = parser.parse_args(argv)
    catalog = file_catalog(args.catalog) if args.catalog else demo_catalog()
    report(catalog, args.top, args.failures)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
