"""Field-level encryption at rest for personal data: children's national IDs, guardians' phone
numbers and names, addresses, notes, users' names and phones, photos, exported files, conversation
drafts and queued messages, with one
key from the environment.

AES-SIV (RFC 5297, `cryptography`'s AESSIV), used two ways:
- deterministically for values looked up by equality (the national ID: its unique index and the
  duplicate search keep working in SQL). The same value always gives the same ciphertext, so whoever
  reads the table learns which rows share a value, though not the value itself;
- with a random nonce for content never looked up (free-text fields, photos, files, drafts, messages): every ciphertext
  differs, so equal values cannot be told apart either.
Each ciphertext is bound to its column's purpose (associated data), so it cannot be moved to another column.

The cipher belongs to the engine (`attach`), not to the process: the column types find it on the
dialect SQLAlchemy hands them, so each Database uses its own key and nothing global holds it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
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
        self._key = key

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

    def derive_key(self, purpose: str) -> bytes:
        """A 256-bit key of its own for another use of this secret (signing download links): HKDF, so
        neither key tells anything about the other or about the encryption key."""
        return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose.encode()).derive(self._key)

    def tag(self, purpose: str, value: str) -> str:
        """A keyed one-way hash of `value` (HMAC-SHA256 with a key of its own for `purpose`): equal values
        give equal tags, and no key opens a tag back into the value."""
        return hmac.new(self.derive_key(purpose), value.encode(), hashlib.sha256).hexdigest()

    def seal_text(self, purpose: str, value: str) -> str:
        """The same value and purpose always give the same text (deterministic)."""
        return _armour(self._siv.encrypt(value.encode(), [purpose.encode()]))

    def open_text(self, purpose: str, stored: str) -> str:
        return self._siv.decrypt(_unarmour(purpose, stored), [purpose.encode()]).decode()

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
        return _armour(self.seal_bytes(purpose, data))

    def open_json(self, purpose: str, stored: str) -> Any:
        return json.loads(self.open_bytes(purpose, _unarmour(purpose, stored)))


def _armour(sealed: bytes) -> str:
    """Ciphertext as text a string column holds, marked as such."""
    return PREFIX + base64.urlsafe_b64encode(sealed).decode()


def _unarmour(purpose: str, stored: str) -> bytes:
    if not stored.startswith(PREFIX):
        raise ValueError(f"a {purpose} value in the database is not encrypted")
    return base64.urlsafe_b64decode(stored[len(PREFIX):])


def new_key_text() -> str:
    """A fresh key, in the form DATA_ENCRYPTION_KEY takes."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def attach(engine: Engine, cipher: FieldCipher | None) -> None:
    """Make the encrypted column types of this engine use `cipher`."""
    engine.dialect.field_cipher = cipher


def cipher_of(session_or_connection) -> FieldCipher:
    """The cipher of the engine a session or connection works on."""
    return _cipher(session_or_connection.get_bind().dialect if hasattr(session_or_connection, "get_bind")
                   else session_or_connection.dialect)


def _cipher(dialect) -> FieldCipher:
    cipher = getattr(dialect, "field_cipher", None)
    if cipher is None:
        raise RuntimeError("this database engine has no data encryption key (models.database.Database attaches it)")
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


class SealedText(TypeDecorator):
    """A free-text column stored encrypted with a random nonce (like EncryptedBytes, as text): equal
    values do not show as equal, so SQL can only test it for NULL (never compare, search or sort it).

    `length` is the longest value the column takes, in characters, as the String it replaced had
    (None: no limit, as a Text had): parsers refuse longer answers by it. The database column is
    TEXT, so the ciphertext's growth (a nonce, a tag, base64) can never overflow it."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str, length: int | None = None):
        super().__init__()
        self.purpose, self.length = purpose, length

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else _armour(_cipher(dialect).seal_bytes(self.purpose, value.encode()))

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return _cipher(dialect).open_bytes(self.purpose, _unarmour(self.purpose, value)).decode()


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
