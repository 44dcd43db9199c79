"""Development tools, never imported by the production app: the fake LINE platform, the browser
simulator, synthetic official lists and demo data.

`flask --app devtools run` (scripts/run-local) is the bot with its embedded defaults plus the
simulator at /simulator and the fake LINE platform at /fake-line; `flask --app devtools demo-data`
fills an empty database. Installed with the `dev` extra (`pip install -e '.[dev]'`).
"""
from __future__ import annotations

from typing import Any

from flask import Flask

import bot
from devtools.demo import demo_data
from devtools.simulator import enable_simulator


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The bot as bot.create_app builds it, with the simulator mounted and the demo-data command."""
    app = bot.create_app({"SIMULATOR": True, **(config or {})})
    enable_simulator(app)
    app.cli.add_command(demo_data)
    return app
