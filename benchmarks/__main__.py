"""Run every benchmark and print its table: ``python -m benchmarks [name ...]``."""

from __future__ import annotations

import importlib
import sys

ALL = ("pageweight", "scan", "decode", "relay", "board", "offline", "uploads", "marking",
       "oos", "substitutes", "runs", "scale", "memory", "push", "instructions")


def main() -> None:
    """Each benchmark runs with its defaults; run one alone for its own options."""
    names = sys.argv[1:] or list(ALL)
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"\n[{name}] not available: {exc}")
            continue
        print(f"\n=== {name} ===", flush=True)
        module.main([])


if __name__ == "__main__":
    main()
