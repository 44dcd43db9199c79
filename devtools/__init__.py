"""Development tools, never imported by the production app: the fake LINE platform, the browser
simulator, synthetic official lists and demo data.

`flask --app devtools run` (scripts/run-local) is the bot with its embedded defaults plus the
simulator at /simulator and the fake LINE platform at /fake-line; `flask --app devtools demo-data`
fills an empty database. Installed with the `dev` extra (`pip install -e '.[dev]'`).
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask

import bot
from bot import config as config_module
from devtools.demo import demo_data
from devtools.simulator import enable_simulator

# The dashboard's LIFF app in the simulator: a made-up LINE Login channel (1657000000), whose ID tokens
# the mounted fake LINE issues and verifies; the simulator page plays LIFF's part with its stand-in SDK.
SIMULATOR_LIFF_ID = "1657000000-simulatr"
FAKE_LIFF_SDK = "/simulator/static/fake-liff.js"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The bot as bot.create_app builds it, with the simulator mounted and the demo-data command.

    The dashboard verifies ID tokens with the fake LINE the simulator mounts (where LINE_API_BASE_URL
    points), and its map has no tiles unless the environment names a tile server: nothing leaves the
    machine."""
    settings = config_module.load(config)
    simulated = {"SIMULATOR": True, "LIFF_ID": SIMULATOR_LIFF_ID, "LIFF_SDK_URL": FAKE_LIFF_SDK,
                 "MAP_TILE_URL": os.environ.get("MAP_TILE_URL", "")}
    if settings["LINE_API_BASE_URL"]:
        simulated["LINE_LOGIN_API_BASE_URL"] = settings["LINE_API_BASE_URL"]
    app = bot.create_app({**simulated, **(config or {})})
    enable_simulator(app)
    app.cli.add_command(demo_data)
    return app
