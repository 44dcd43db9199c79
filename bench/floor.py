"""The floor: a bare line-bot-sdk webhook that only verifies the signature and parses the events.

The webhook benchmark runs it under the same gunicorn settings as the bot and reports the bot's
throughput as a fraction of this one's: nothing built on the SDK in Python can go faster.
"""
from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

app = Flask(__name__)
parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])


@app.post("/callback")
def callback():
    try:
        parser.parse(request.get_data(as_text=True), request.headers.get("X-Line-Signature", ""))
    except InvalidSignatureError:
        abort(400)
    return "OK"


@app.get("/healthz")
def healthz():
    return "OK"
