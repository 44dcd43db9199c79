"""LINE Login's ID-token check: who opened the dashboard's LIFF page (bot/dashboard.py).

https://developers.line.biz/en/reference/line-login/#verify-id-token: POST {base}/oauth2/v2.1/verify with
the token and the LINE Login channel's id; LINE answers the token's payload (sub is the user's LINE id), or
400 with why it refuses the token. line-bot-sdk v3 has no client for this call (its oauth module is the
channel access tokens'), so this is a small one on the standard library: a timeout, no proxy from the
environment (a token is a credential), nothing retried (the page asks again).
"""
from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from urllib.parse import urlencode

log = logging.getLogger(__name__)

VERIFY_PATH = "/oauth2/v2.1/verify"
# LINE's error_description of a token past its exp: the page logs in again rather than fails.
EXPIRED = "IdToken expired."
# A verify answer is a few hundred bytes; anything near this is not LINE's.
MAX_ANSWER_BYTES = 64 * 1024


class LoginRefused(Exception):
    """LINE answered that the token is not good (garbage, another channel's, expired): `description` is
    LINE's error_description."""

    def __init__(self, description: str):
        self.description = description
        super().__init__(description)

    @property
    def expired(self) -> bool:
        return self.description == EXPIRED


class LoginUnavailable(Exception):
    """LINE could not say (unreachable, timed out, a 5xx, an answer that is not LINE's): try again later."""


class LineLogin:
    """LINE Login at `base_url` (LINE_LOGIN_API_BASE_URL: https://api.line.me, or the fake LINE platform)."""

    def __init__(self, base_url: str, timeout: float):
        self.url = base_url.rstrip("/") + VERIFY_PATH
        self.timeout = timeout
        # No ProxyHandler from the environment: an empty one sends the call straight to LINE.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def verify_id_token(self, id_token: str, client_id: str) -> dict:
        """The token's payload (iss, sub, aud, exp, ...) when LINE accepts it for channel `client_id`;
        LoginRefused when LINE refuses it, LoginUnavailable when LINE could not be asked."""
        request = urllib.request.Request(
            self.url, data=urlencode({"id_token": id_token, "client_id": client_id}).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = _json(response.read(MAX_ANSWER_BYTES))
        except urllib.error.HTTPError as exc:
            with exc:
                answer = _json(exc.read(MAX_ANSWER_BYTES)) if exc.code < 500 else None
            description = answer.get("error_description") if isinstance(answer, dict) else None
            if 400 <= exc.code < 500 and isinstance(description, str):
                raise LoginRefused(description) from None
            log.warning("LINE Login verify answered %s", exc.code)
            raise LoginUnavailable(f"LINE Login answered {exc.code}") from None
        except (urllib.error.URLError, socket.timeout, ConnectionError) as exc:
            log.warning("LINE Login unreachable: %s", type(exc).__name__)
            raise LoginUnavailable("LINE Login unreachable") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("sub"), str):
            raise LoginUnavailable("LINE Login's answer has no subject")
        return payload


def _json(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return None
