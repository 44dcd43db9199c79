"""Field-level encryption at rest for the most sensitive personal data: children's national IDs,
guardians' phone numbers, photos, exported files, conversation drafts and queued messages, with one
key from the environment.

AES-SIV (RFC 5297, `cryptography`'s AESSIV), used two ways:
- deterministically for values looked up by equality (the national ID: its unique index and the
  duplicate search keep working in SQL). The same value always gives the same ciphertext, so whoever
  reads the table learns which rows share a value, though not the value itself;
- with a random nonce for content never looked up (photos, files, drafts, messages): every
  ciphertext differs.
Each ciphertext is bound to its column's purpose (associated data), so it cannot be moved to another column.

The cipher belongs to the engine (`attach`), not to the process: the column types find it on the
dialect SQLAlchemy hands them, so each Database uses its own key and nothing global holds it.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from sqlalchemy import Engine, LargeBinary, String, Text
from sqlalchemy.types import TypeDecorator

KEY_BYTES = 64  # AES-SIV with two 256-bit keys
NONCE_BYTES = 16
# Marks a stored value as ciphertext, with its format's version (key rotation would add "e2:").
PREFIX = "e1:"


class FieldCipher:
    def __init__(self, key: bytes):
        if len(key) != KEY_BYTES:
            raise ValueError(f"the data encryption key must be {KEY_BYTES} bytes, not {len(key)}")
        self._siv = AESSIV(key)

    @classmethod
    def from_text(cls, text: str) -> FieldCipher:
        """From the key as DATA_ENCRYPTION_KEY holds it: base64 (standard or URL-safe) of 64 bytes."""
        cleaned = text.strip()
        try:
            key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/") + "=" * (-len(cleaned) % 4),
                                   validate=True)
        except binascii.Error:
            raise ValueError("DATA_ENCRYPTION_KEY is not base64") from None
        return cls(key)

    def seal_text(self, purpose: str, value: str) -> str:
        """The same value and purpose always give the same text (deterministic)."""
        sealed = self._siv.encrypt(value.encode(), [purpose.encode()])
        return PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open_text(self, purpose: str, stored: str) -> str:
        if not stored.startswith(PREFIX):
            raise ValueError(f"a {purpose} value in the database is not encrypted")
        return self._siv.decrypt(base64.urlsafe_b64decode(stored[len(PREFIX):]), [purpose.encode()]).decode()

    def seal_bytes(self, purpose: str, value: bytes) -> bytes:
        """A random nonce makes each ciphertext different, even for the same content."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._siv.encrypt(value, [purpose.encode(), nonce])

    def open_bytes(self, purpose: str, stored: bytes) -> bytes:
        nonce, sealed = stored[:NONCE_BYTES], stored[NONCE_BYTES:]
        return self._siv.decrypt(sealed, [purpose.encode(), nonce])

    def seal_json(self, purpose: str, value: Any) -> str:
        """A JSON value as text, with a random nonce like bytes: equal values differ at rest."""
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return PREFIX + base64.urlsafe_b64encode(self.seal_bytes(purpose, data)).decode()

    def open_json(self, purpose: str, stored: str) -> Any:
        if not stored.startswith(PREFIX):
            raise ValueError(f"a {purpose} value in the database is not encrypted")
        return json.loads(self.open_bytes(purpose, base64.urlsafe_b64decode(stored[len(PREFIX):])))


def new_key_text() -> str:
    """A fresh key, in the form DATA_ENCRYPTION_KEY takes."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def attach(engine: Engine, cipher: FieldCipher | None) -> None:
    """Make the encrypted column types of this engine use `cipher`."""
    engine.dialect.field_cipher = cipher


def _cipher(dialect) -> FieldCipher:
    cipher = getattr(dialect, "field_cipher", None)
    if cipher is None:
        raise RuntimeError("this database engine has no data encryption key (bot.db.Database attaches it)")
    return cipher


class EncryptedText(TypeDecorator):
    """A text column stored encrypted and deterministic, so `==`, `IN` and unique indexes still work
    (LIKE and ordering do not). `length` is the stored ciphertext's, not the value's."""

    impl = String
    cache_ok = True

    def __init__(self, purpose: str, length: int = 80):
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else _cipher(dialect).seal_text(self.purpose, value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else _cipher(dialect).open_text(self.purpose, value)


class EncryptedBytes(TypeDecorator):
    """A binary column (a photo, a file) stored encrypted with a random nonce."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: bytes | None, dialect) -> bytes | None:
        return None if value is None else _cipher(dialect).seal_bytes(self.purpose, bytes(value))

    def process_result_value(self, value: bytes | None, dialect) -> bytes | None:
        return None if value is None else _cipher(dialect).open_bytes(self.purpose, bytes(value))


class EncryptedJSON(TypeDecorator):
    """A JSON column (a conversation's answers, a message's body) stored as text encrypted with a
    random nonce. Nothing can be queried inside it in SQL, not even equality: read and decide in Python."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else _cipher(dialect).seal_json(self.purpose, value)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else _cipher(dialect).open_json(self.purpose, value)
