"""LINE Login's ID tokens, as a LIFF app gets them (liff.getIDToken()), and their verify endpoint.

https://developers.line.biz/en/reference/line-login/#verify-id-token: POST /oauth2/v2.1/verify with
form fields id_token, client_id (the LINE Login channel id) and optionally nonce and user_id; 200 with
the token's payload, or 400 {"error": "invalid_request", "error_description": ...}. LINE Login is not
the Messaging API, so its route is not in the vendored spec: FakeLine adds it beside the spec's, with no
bearer token (LINE asks none for this call).

The fake signs its tokens with HS256 and a key of its own (LINE signs LIFF tokens with ES256 and its
keys): only the fake can verify them, which is all the bot ever asks of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from typing import Callable

from devtools.fakeline.answers import Answer

VERIFY_PATH = "/oauth2/v2.1/verify"
ISSUER = "https://access.line.me"
INVALID = "Invalid IdToken."
EXPIRED = "IdToken expired."
WRONG_AUDIENCE = "Invalid IdToken Audience."
WRONG_SUBJECT = "Invalid IdToken Subject Identifier."
WRONG_NONCE = "Invalid IdToken Nonce."
# LINE's wording for a missing field is not documented; this fake's guess.
MISSING = "Required parameter is missing: {}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def login_error(description: str) -> Answer:
    """LINE Login's error body (not the Messaging API's {"message": ...})."""
    return Answer(400, {"error": "invalid_request", "error_description": description})


class LineLogin:
    """FakeLine's ID tokens; the handler runs with the platform's lock held."""

    # Set up by FakeLine.__init__.
    clock: Callable[[], float]
    _lock: threading.Lock
    _id_token_key: bytes

    def issue_id_token(self, user_id: str, client_id: str, *, expires_in: int = 3600, name: str | None = None,
                       nonce: str | None = None) -> str:
        """An ID token of `user_id` for the LINE Login channel `client_id`, as LIFF hands a logged-in user's
        page (payload like LINE's: iss, sub, aud, exp, iat, amr, name), expiring `expires_in` seconds from the
        fake's clock."""
        now = int(self.clock())
        payload = {"iss": ISSUER, "sub": user_id, "aud": str(client_id), "exp": now + expires_in, "iat": now,
                   "amr": ["linesso"]}
        if nonce is not None:
            payload["nonce"] = nonce
        if name is not None:
            payload["name"] = name
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        body = _b64(json.dumps(payload, ensure_ascii=False).encode())
        return f"{header}.{body}.{self._sign(f'{header}.{body}')}"

    def _sign(self, signed: str) -> str:
        return _b64(hmac.new(self._id_token_key, signed.encode(), hashlib.sha256).digest())

    def _payload(self, token: str) -> dict | None:
        """The payload of a token this fake issued, or None (not a JWT, not signed by this fake)."""
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(self._sign(f"{parts[0]}.{parts[1]}"), parts[2]):
            return None
        try:
            payload = json.loads(_unb64(parts[1]))
        except (binascii.Error, ValueError):
            return None
        return payload if isinstance(payload, dict) else None

    def _verify_id_token(self, form: dict[str, str]) -> Answer:
        for field in ("id_token", "client_id"):
            if not form.get(field):
                return login_error(MISSING.format(field))
        payload = self._payload(form["id_token"])
        if payload is None:
            return login_error(INVALID)
        if payload["exp"] <= self.clock():
            return login_error(EXPIRED)
        if payload["aud"] != form["client_id"]:
            return login_error(WRONG_AUDIENCE)
        if form.get("nonce") and payload.get("nonce") != form["nonce"]:
            return login_error(WRONG_NONCE)
        if form.get("user_id") and payload["sub"] != form["user_id"]:
            return login_error(WRONG_SUBJECT)
        return Answer(200, payload)
