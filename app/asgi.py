"""The app for process managers: ``uvicorn --factory app.asgi:create`` (settings from
the environment). ``python -m app serve --workers N`` starts N of these on one port."""

from __future__ import annotations

from litestar import Litestar

from app.factory import create_app
from app.settings import Settings


def create() -> Litestar:
    return create_app(Settings.from_env())
