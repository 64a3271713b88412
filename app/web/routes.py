"""Handlers of the feature areas beyond the picker's core loop.

Each area keeps its handlers in its own module and is listed here once, so
adding an area never means editing the app factory.
"""

from __future__ import annotations

from typing import Any


def feature_handlers() -> list[Any]:
    return []
