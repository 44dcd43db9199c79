"""LIFF URLs: how the rich menu and a card open the coordinators' dashboard (bot/dashboard.py) in LINE.

https://liff.line.me/<LIFF ID> opens the LIFF app's endpoint URL. A query added to it (?area=CODE) reaches
the page too: LINE carries it in the liff.state parameter and the page's liff.init() puts it back in the
address (the LIFF app's "Concatenate" mode, the default for new LIFF apps).
"""
from __future__ import annotations

from urllib.parse import urlencode

LIFF_BASE = "https://liff.line.me/"


def dashboard_url(liff_id: str, **query: str | None) -> str | None:
    """The dashboard's LIFF URL with `query` (the empty parts left out); None when the dashboard is off
    (LIFF_ID unset): then nothing offers it."""
    if not liff_id:
        return None
    given = {key: value for key, value in query.items() if value}
    return LIFF_BASE + liff_id + ("?" + urlencode(given) if given else "")
