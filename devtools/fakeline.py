"""A faithful in-process fake of the LINE Messaging API platform.

No machine that runs this project's tests can reach LINE, so the test-suite and
the local browser simulator talk to this fake instead.  The bot uses the real
``line-bot-sdk`` clients with ``Configuration(host=<fake base URL>)``; with a
host set, the SDK sends both ``api.line.me`` and ``api-data.line.me`` paths to
that host, so one fake serves both.

What "faithful" means here:

* Routes are generated from the vendored OpenAPI document
  (``bot/line_spec/messaging-api.yml``); a path that is not in the spec is a
  404, an operation that is in the spec but not modelled answers 501.
* Every JSON request body is validated against the schema the spec names for
  that operation (``$ref``s and the ``type`` discriminators of Message, Action,
  Template, ... included), so ``required``, ``maxItems`` and ``maxLength``
  come from the spec rather than from constants copied into this file.
* On top of the schema, the fake enforces what LINE documents but the spec
  cannot express: lengths counted in UTF-16 code units, the documented limits
  the spec omits (``DOCUMENTED_LIMITS``), single-use reply tokens that expire
  after a minute, retry keys, rich-menu image rules.
* Errors use LINE's bodies and headers (``x-line-request-id`` on every
  response, ``{"message": ..., "details": [...]}``).

It also builds signed webhook requests whose events have the exact shape of
LINE's webhook JSON, and records every call so tests can assert on what the
bot sent.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import hmac
import itertools
import json
import re
import secrets
import struct
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from cheroot.wsgi import Server as WSGIServer

__all__ = [
    "ApiSpec",
    "Call",
    "DOCUMENTED_LIMITS",
    "FakeLine",
    "image_size",
    "messaging_api_spec",
    "solid_png",
    "tiny_jpeg",
    "utf16_len",
    "webhook_spec",
]

SPEC_DIR = Path(__file__).resolve().parent / "line_spec"
SCHEMA_PREFIX = "#/components/schemas/"

AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
REPLY_TOKEN_TTL = 60.0  # seconds; https://developers.line.biz/en/reference/messaging-api/#send-reply-message
RETRY_KEY_TTL = 24 * 3600.0  # https://developers.line.biz/en/docs/messaging-api/retrying-api-request/
RICH_MENU_IMAGE_MAX_BYTES = 1024 * 1024
RICH_MENU_IMAGE_TYPES = ("image/jpeg", "image/png")
# Messages LINE returns a quoteToken for when the bot sends them.
QUOTABLE_TYPES = {"text", "textV2", "sticker", "image", "video"}

# Limits that developers.line.biz documents but messaging-api.yml does not
# carry.  Each entry is merged into the named component schema (via allOf), so
# the spec's own constraints still apply; lengths are counted in UTF-16 units.
DOCUMENTED_LIMITS: dict[str, dict[str, Any]] = {
    # https://developers.line.biz/en/reference/messaging-api/#text-message
    "TextMessage": {"properties": {"text": {"maxLength": 5000}, "emojis": {"maxItems": 20}}},
    "TextMessageV2": {"properties": {"text": {"maxLength": 5000}}},
    # https://developers.line.biz/en/reference/messaging-api/#template-messages
    "TemplateMessage": {"properties": {"altText": {"maxLength": 400}}},
    "ButtonsTemplate": {
        "properties": {
            "title": {"maxLength": 40},
            "text": {"maxLength": 160},
            "actions": {"maxItems": 4},
        }
    },
    "ConfirmTemplate": {
        "properties": {"text": {"maxLength": 240}, "actions": {"minItems": 2, "maxItems": 2}}
    },
    "CarouselTemplate": {"properties": {"columns": {"maxItems": 10}}},
    "CarouselColumn": {
        "properties": {
            "title": {"maxLength": 40},
            "text": {"maxLength": 120},
            "actions": {"maxItems": 3},
        }
    },
    "ImageCarouselTemplate": {"properties": {"columns": {"maxItems": 10}}},
    # https://developers.line.biz/en/reference/messaging-api/#flex-message
    "FlexMessage": {"properties": {"altText": {"maxLength": 1500}}},
    "FlexCarousel": {"properties": {"contents": {"maxItems": 12}}},
    "ImagemapMessage": {"properties": {"altText": {"maxLength": 1500}}},
    # https://developers.line.biz/en/reference/messaging-api/#items-object
    "QuickReplyItem": {
        "required": ["action"],
        "properties": {"action": {"properties": {"label": {"maxLength": 20}}}},
    },
    # https://developers.line.biz/en/reference/messaging-api/#action-objects
    "MessageAction": {"properties": {"text": {"maxLength": 300}}},
    "PostbackAction": {"properties": {"displayText": {"maxLength": 300}}},
    # https://developers.line.biz/en/reference/messaging-api/#rich-menu-object
    # (the aspect-ratio rule is checked in code: JSON Schema cannot relate two fields)
    "RichMenuRequest": {
        "properties": {
            "size": {
                "properties": {
                    "width": {"minimum": 800, "maximum": 2500},
                    "height": {"minimum": 250},
                }
            }
        }
    },
    # https://developers.line.biz/en/reference/messaging-api/#display-a-loading-indicator
    "ShowLoadingAnimationRequest": {"properties": {"loadingSeconds": {"multipleOf": 5}}},
}
RICH_MENU_MIN_ASPECT = 1.45


def utf16_len(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------
# OpenAPI spec loading and validation
# --------------------------------------------------------------------------


_Errors = list  # of (path tuple, message)
_Check = Callable[[Any, tuple, _Errors], None]

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}
# Keywords that describe rather than constrain.
_ANNOTATIONS = {
    "description", "externalDocs", "example", "examples", "format", "default",
    "title", "deprecated", "readOnly", "writeOnly", "xml",
}


class _SchemaCompiler:
    """Compiles OpenAPI 3.0 schema objects into plain Python checks.

    A generic JSON-Schema library (jsonschema + openapi-schema-validator)
    walks the schema tree and its references again on every call and took
    ~15 ms for a maximal reply; the compiled checks are about ten times
    faster.  Semantics follow OAS 3.0: siblings of ``$ref`` are ignored,
    ``nullable`` admits None, and a ``discriminator`` dispatches on the
    property value to the mapped subtype.  Lengths are counted in UTF-16 code
    units, as LINE's servers count them.  An unknown keyword is an error, so a
    spec update cannot silently loosen validation.
    """

    def __init__(self, schemas: dict):
        self.schemas = schemas
        self._named: dict[str, _Check] = {}

    def named(self, name: str) -> _Check:
        check = self._named.get(name)
        if check is None:
            check = self._named[name] = self.compile(self.schemas[name])
        return check

    def _ref(self, ref: str) -> _Check:
        if not ref.startswith(SCHEMA_PREFIX) or ref.removeprefix(SCHEMA_PREFIX) not in self.schemas:
            raise ValueError(f"unresolvable $ref {ref!r}")
        name = ref.removeprefix(SCHEMA_PREFIX)
        # Resolved when first used: schemas are recursive (Flex boxes hold boxes).
        return lambda value, path, errors: self.named(name)(value, path, errors)

    def compile(self, schema: dict) -> _Check:
        if "$ref" in schema:
            return self._ref(schema["$ref"])
        unknown = {k for k in schema if k not in _ANNOTATIONS and not k.startswith("x-")} - set(
            self._KEYWORDS
        )
        if unknown:
            raise ValueError(f"unsupported schema keywords {sorted(unknown)}")
        kind = schema.get("type")
        type_ok = _TYPE_TESTS[kind] if kind else None
        nullable = schema.get("nullable", False)
        checks = [
            self._KEYWORDS[k](self, schema[k], schema)
            for k in self._KEYWORDS
            if k in schema and k not in ("type", "nullable")
        ]
        checks = [c for c in checks if c is not None]

        def check(value, path, errors):
            if value is None and nullable:
                return
            if type_ok is not None and not type_ok(value):
                errors.append((path, f"Must be of type {kind}"))
                return
            for sub in checks:
                sub(value, path, errors)

        return check

    # Each keyword compiler takes (keyword value, whole schema) and returns a
    # check, or None when the keyword is handled elsewhere.

    def _enum(self, allowed, schema):
        message = f"Must be one of the following values: [{', '.join(map(str, allowed))}]"

        def check(value, path, errors):
            if value not in allowed:
                errors.append((path, message))

        return check

    def _length(self, _, schema):
        if "maxLength" not in schema and "minLength" not in schema:
            return None
        low, high = schema.get("minLength", 0), schema.get("maxLength", 2**31 - 1)
        message = f"Length must be between {low} and {high}"

        def check(value, path, errors):
            if isinstance(value, str) and not low <= utf16_len(value) <= high:
                errors.append((path, message))

        return check

    def _pattern(self, pattern, schema):
        regex = re.compile(pattern)

        def check(value, path, errors):
            if isinstance(value, str) and not regex.search(value):
                errors.append((path, f"Must match the pattern {pattern}"))

        return check

    def _range(self, _, schema):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None and high is None:
            return None
        if low is not None and high is not None:
            message = f"Must be between {low} and {high}"
        elif low is not None:
            message = f"Must be greater than or equal to {low}"
        else:
            message = f"Must be less than or equal to {high}"
        below = (lambda v: v <= low) if schema.get("exclusiveMinimum") else (lambda v: v < low)
        above = (lambda v: v >= high) if schema.get("exclusiveMaximum") else (lambda v: v > high)

        def check(value, path, errors):
            if _TYPE_TESTS["number"](value) and (
                (low is not None and below(value)) or (high is not None and above(value))
            ):
                errors.append((path, message))

        return check

    def _multiple_of(self, factor, schema):
        def check(value, path, errors):
            if _TYPE_TESTS["number"](value) and value % factor:
                errors.append((path, f"Must be a multiple of {factor}"))

        return check

    def _size(self, _, schema):
        if "maxItems" not in schema and "minItems" not in schema:
            return None
        low, high = schema.get("minItems", 0), schema.get("maxItems", 2**31 - 1)
        message = f"Size must be between {low} and {high}"

        def check(value, path, errors):
            if isinstance(value, list) and not low <= len(value) <= high:
                errors.append((path, message))

        return check

    def _items(self, items, schema):
        item_check = self.compile(items)

        def check(value, path, errors):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    item_check(item, (*path, i), errors)

        return check

    def _required(self, required, schema):
        def check(value, path, errors):
            if isinstance(value, dict):
                for name in required:
                    if name not in value:
                        # LINE points at the missing property ("messages[0].text").
                        errors.append(((*path, name), "must be specified"))

        return check

    def _properties(self, properties, schema):
        compiled = {name: self.compile(sub) for name, sub in properties.items()}

        def check(value, path, errors):
            if isinstance(value, dict):
                for name, sub in compiled.items():
                    if name in value:
                        sub(value[name], (*path, name), errors)

        return check

    def _additional(self, additional, schema):
        known = set(schema.get("properties", ()))
        extra = self.compile(additional) if isinstance(additional, dict) else None

        def check(value, path, errors):
            if isinstance(value, dict):
                for name in value.keys() - known:
                    if extra is not None:
                        extra(value[name], (*path, name), errors)
                    elif additional is False:
                        errors.append(((*path, name), "Unknown property"))

        return check

    def _all_of(self, parts, schema):
        compiled = [self.compile(part) for part in parts]

        def check(value, path, errors):
            for sub in compiled:
                sub(value, path, errors)

        return check

    def _one_of(self, parts, schema, *, exactly_one=True):
        compiled = [self.compile(part) for part in parts]
        message = "Must match exactly one allowed schema" if exactly_one else "Must match an allowed schema"

        def check(value, path, errors):
            passing = 0
            for sub in compiled:
                trial: _Errors = []
                sub(value, path, trial)
                passing += not trial
            if passing == 0 or (exactly_one and passing > 1):
                errors.append((path, message))

        return check

    def _any_of(self, parts, schema):
        return self._one_of(parts, schema, exactly_one=False)

    def _discriminator(self, discriminator, schema):
        """OAS 3.0 polymorphism: also validate against the subtype ``type`` names.

        The parent (e.g. ``Message``) carries the discriminator and each
        subtype ``allOf``s the parent; ``_prepare_schemas`` points subtypes at
        a discriminator-free copy so this does not recurse.
        """
        prop = discriminator["propertyName"]
        mapping = discriminator.get("mapping") or {}
        targets = {value: self._ref(ref) for value, ref in mapping.items()}
        message = f"Must be one of the following values: [{', '.join(mapping)}]"
        required = prop in schema.get("required", ())

        def check(value, path, errors):
            if not isinstance(value, dict):
                return
            if prop not in value:
                if not required:  # else the "required" keyword reports it
                    errors.append(((*path, prop), "must be specified"))
                return
            target = targets.get(value[prop]) if isinstance(value[prop], str) else None
            if target is None:
                errors.append(((*path, prop), message))
            else:
                target(value, path, errors)

        return check

    _KEYWORDS: dict[str, Callable] = {
        "type": lambda self, v, s: None,
        "nullable": lambda self, v, s: None,
        "enum": _enum,
        "maxLength": _length,
        "minLength": lambda self, v, s: None if "maxLength" in s else self._length(v, s),
        "pattern": _pattern,
        "minimum": _range,
        "maximum": lambda self, v, s: None if "minimum" in s else self._range(v, s),
        "exclusiveMinimum": lambda self, v, s: None,
        "exclusiveMaximum": lambda self, v, s: None,
        "multipleOf": _multiple_of,
        "maxItems": _size,
        "minItems": lambda self, v, s: None if "maxItems" in s else self._size(v, s),
        "items": _items,
        "required": _required,
        "properties": _properties,
        "additionalProperties": _additional,
        "allOf": _all_of,
        "oneOf": _one_of,
        "anyOf": _any_of,
        "discriminator": _discriminator,
    }


def _prepare_schemas(schemas: dict, overlays: dict) -> dict:
    """Copy the component schemas into a form plain JSON-Schema validation can use.

    A discriminated parent dispatches to its subtype, and the subtype
    ``allOf``s the parent: that would recurse forever, so subtypes are pointed
    at a discriminator-free copy of the parent (``<Name>__base``) instead.
    """
    schemas = copy.deepcopy(schemas)
    parents = [name for name, schema in schemas.items() if "discriminator" in schema]
    for name in parents:
        base = {k: v for k, v in schemas[name].items() if k != "discriminator"}
        schemas[f"{name}__base"] = base
    parent_refs = {SCHEMA_PREFIX + name for name in parents}
    for schema in schemas.values():
        for i, part in enumerate(schema.get("allOf", ())):
            if part.get("$ref") in parent_refs:
                schema["allOf"][i] = {"$ref": part["$ref"] + "__base"}
    for name, extra in overlays.items():
        if name not in schemas:
            raise KeyError(f"DOCUMENTED_LIMITS names {name!r}, which the spec does not define")
        schemas[name] = {"allOf": [schemas[name], extra]}
    return schemas


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, reduced to what the fake needs."""

    operation_id: str
    method: str  # upper-case HTTP method
    path: str  # spec template, e.g. "/v2/bot/profile/{userId}"
    body_schema: str | None  # component name of a JSON request body
    body_required: bool
    header_params: tuple[dict, ...]

    @property
    def flask_rule(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)


class ApiSpec:
    """An OpenAPI 3.0 document: its operations and a validator for its schemas."""

    def __init__(self, path: Path, overlays: dict[str, dict] | None = None):
        with open(path, encoding="utf-8") as fh:
            self.raw: dict = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        self.schemas = _prepare_schemas(self.raw["components"]["schemas"], overlays or {})
        self.operations = list(self._operations())
        self._compiler = _SchemaCompiler(self.schemas)
        for name in self.schemas:  # fail at load, not mid-request, on an unsupported keyword
            self._compiler.named(name)

    def _operations(self) -> Iterable[Operation]:
        for path, item in self.raw.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in ("get", "post", "put", "delete", "patch"):
                    continue
                body = op.get("requestBody") or {}
                json_schema = body.get("content", {}).get("application/json", {}).get("schema", {})
                ref = json_schema.get("$ref", "")
                params = [*shared, *op.get("parameters", [])]
                yield Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    body_schema=ref.removeprefix(SCHEMA_PREFIX) if ref else None,
                    body_required=bool(body.get("required")),
                    header_params=tuple(p for p in params if p.get("in") == "header"),
                )

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(operation_id)

    def errors(self, schema_name: str, instance: Any) -> list[dict]:
        """LINE-style error details (``{"message", "property"}``); empty when valid."""
        found: _Errors = []
        self._compiler.named(schema_name)(instance, (), found)
        details, seen = [], set()
        for path, message in found:
            detail = {"message": message, "property": _property_path(path)}
            if (message, detail["property"]) not in seen:
                seen.add((message, detail["property"]))
                details.append(detail)
        return details


def _property_path(path: Iterable) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@functools.cache
def messaging_api_spec() -> ApiSpec:
    """The Messaging API spec plus ``DOCUMENTED_LIMITS`` (loaded once, on first use)."""
    return ApiSpec(SPEC_DIR / "messaging-api.yml", DOCUMENTED_LIMITS)


@functools.cache
def webhook_spec() -> ApiSpec:
    """The webhook spec, for checking that built events have LINE's shape."""
    return ApiSpec(SPEC_DIR / "webhook.yml")


# --------------------------------------------------------------------------
# Small images
# --------------------------------------------------------------------------


def tiny_jpeg() -> bytes:
    """A valid 1x1 grey baseline JPEG, built by hand so no imaging library is needed."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    single_code = bytes([1] + [0] * 15)  # one Huffman code, 1 bit long ("0")
    return b"".join(
        [
            b"\xff\xd8",  # SOI
            segment(0xDB, b"\x00" + b"\x01" * 64),  # quantisation table 0
            segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"),  # 8 bit, 1x1, 1 component
            segment(0xC4, b"\x00" + single_code + b"\x00"),  # DC table: "0" = diff 0
            segment(0xC4, b"\x10" + single_code + b"\x00"),  # AC table: "0" = end of block
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),  # start of scan
            b"\x3f",  # DC "0", EOB "0", padded with 1 bits
            b"\xff\xd9",  # EOI
        ]
    )


def solid_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of the given size (e.g. a rich-menu image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte + 1-bit pixels
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)),
            chunk(b"IDAT", zlib.compress(row * height, 9)),
            chunk(b"IEND", b""),
        ]
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None when it is neither."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker == 0xFF:  # fill byte
                i += 1
                continue
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


# --------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One HTTP call the fake answered."""

    method: str
    path: str
    headers: dict
    json: Any  # parsed request body, or None
    status: int
    response_json: Any  # parsed response body, or None for binary/empty
    at: float  # clock() when answered
    request_id: str = ""


@dataclass
class _Answer:
    status: int = 200
    json: Any = None
    data: bytes | None = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)


def _error(status: int, message: str, **extra: Any) -> _Answer:
    return _Answer(status, {"message": message, **extra})


@dataclass
class _ReplyToken:
    chat_id: str
    issued_at: float
    used: bool = False


@dataclass
class _Fault:
    remaining: int
    pattern: re.Pattern | None
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.pattern is None or self.pattern.search(path) is not None


@dataclass
class _AcceptedRetryKey:
    request_id: str
    at: float
    sent_messages: list | None


_FAULT_MESSAGES = {
    429: "The API rate limit has been exceeded. Try again later.",
    500: "An error occurred in the server",
}

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class FakeLine:
    """The LINE platform, as seen by one channel (one secret, one access token)."""

    def __init__(
        self,
        channel_secret: str,
        access_token: str,
        *,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ):
        self.channel_secret = channel_secret
        self.access_token = access_token
        self.clock = clock
        self.spec = messaging_api_spec()
        self.base_url: str | None = None

        self._lock = threading.Lock()
        self._latency = latency
        self._failures: list[_Fault] = []
        self._hangs: list[_Fault] = []
        # Numeric like LINE's 18-digit message ids, and unique within this fake.
        self._ids = itertools.count(int(clock() * 1000) * 100_000)

        self.calls: list[Call] = []
        self._deliveries: list[tuple[str, dict]] = []
        self._reply_tokens: dict[str, _ReplyToken] = {}
        self._retry_keys: dict[str, _AcceptedRetryKey] = {}
        self._following: dict[str, bool] = {}  # user id -> still a friend
        self._profiles: dict[str, dict] = {}
        self._contents: dict[str, tuple[bytes, str]] = {}

        self.rich_menus: dict[str, dict] = {}
        self._rich_menu_images: dict[str, tuple[bytes, str]] = {}
        self._user_menus: dict[str, str] = {}
        self.default_rich_menu: str | None = None
        self.rich_menu_aliases: dict[str, str] = {}

        self._server = None
        self._thread: threading.Thread | None = None
        self._handlers = self._handler_table()
        self.wsgi_app = self._build_app()

    # ---------------------------------------------------------------- serving

    def serve(self, host: str = "127.0.0.1", port: int = 0, threads: int = 128) -> str:
        """Serve the API from a daemon thread; return its base URL."""
        if self._server is not None:
            raise RuntimeError("FakeLine is already serving at " + str(self.base_url))
        # cheroot keeps connections alive, as LINE's API does (werkzeug's server closes each one, and
        # every client call would pay for a new connection). A call may sleep (latency, hangs): there
        # are threads for as many calls as can be under way at once.
        self._server = WSGIServer((host, port), self.wsgi_app, numthreads=threads, request_queue_size=threads,
                                  timeout=30, shutdown_timeout=1)
        self._server.expiration_interval = 0.02  # how often it looks for stop(): a quick shutdown
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name="fakeline", daemon=True)
        self._thread.start()
        self.base_url = f"http://{host}:{self._server.bind_addr[1]}"
        return self.base_url

    def shutdown(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._thread.join()
        self._server = self._thread = None
        self.base_url = None

    # -------------------------------------------------------------- recording

    def _successful(self, operation_id: str) -> list[Call]:
        path = self.spec.operation(operation_id).path
        with self._lock:
            return [c for c in self.calls if c.path == path and 200 <= c.status < 300]

    def replies(self) -> list[Call]:
        return self._successful("replyMessage")

    def pushes(self) -> list[Call]:
        return self._successful("pushMessage")

    def multicasts(self) -> list[Call]:
        return self._successful("multicast")

    def broadcasts(self) -> list[Call]:
        return self._successful("broadcast")

    def messages_to(self, user_id: str) -> list[dict]:
        """Messages delivered to this chat, in order, by reply, push, multicast or broadcast."""
        with self._lock:
            return [copy.deepcopy(m) for chat, m in self._deliveries if chat == user_id]

    def texts_to(self, user_id: str) -> list[str]:
        return [m["text"] for m in self.messages_to(user_id) if m.get("type") in ("text", "textV2")]

    def reset(self) -> None:
        """Forget recorded calls and deliveries; users, contents and menus stay."""
        with self._lock:
            self.calls.clear()
            self._deliveries.clear()

    # ------------------------------------------------------- fault injection

    def fail_next(
        self, n: int, status: int = 500, *, retry_after: int | None = None, paths: str | None = None
    ) -> None:
        """Answer the next ``n`` authenticated calls whose path matches ``paths``
        (a regex searched in the path; None = any) with ``status`` and LINE's error body."""
        if n <= 0:
            return
        pattern = re.compile(paths) if paths else None
        with self._lock:
            self._failures.append(_Fault(n, pattern, status=status, retry_after=retry_after))

    def set_latency(self, seconds: float) -> None:
        """Every call sleeps this long before it is handled."""
        self._latency = seconds

    def hang_next(self, n: int, seconds: float, *, paths: str | None = None) -> None:
        """Delay the answer to the next ``n`` matching calls by ``seconds``.

        The call takes effect first, as when LINE accepts a request but the
        client times out waiting: a retry with the same retry key gets 409 and
        a reused reply token gets 400, exactly as on the real platform.
        """
        if n <= 0:
            return
        pattern = re.compile(paths) if paths else None
        with self._lock:
            self._hangs.append(_Fault(n, pattern, seconds=seconds))

    def _take(self, faults: list[_Fault], path: str) -> _Fault | None:
        with self._lock:
            for fault in faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if not fault.remaining:
                        faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------ users, profiles, content

    def set_profile(
        self, user_id: str, display_name: str, picture_url: str | None = None, language: str = "th"
    ) -> None:
        profile = {"displayName": display_name, "userId": user_id, "language": language}
        if picture_url:
            profile["pictureUrl"] = picture_url
        with self._lock:
            self._profiles[user_id] = profile
            self._following.setdefault(user_id, True)

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        with self._lock:
            self._contents[message_id] = (bytes(data), content_type)

    def user_rich_menu(self, user_id: str, *, include_default: bool = False) -> str | None:
        """The rich menu linked to this user; with include_default, the one they see."""
        with self._lock:
            linked = self._user_menus.get(user_id)
            return linked if linked or not include_default else self.default_rich_menu

    # -------------------------------------------------------- webhook events

    def issue_reply_token(self, user_id: str) -> str:
        """A reply token for a chat (user, group or room id): usable once, for 60 s."""
        token = uuid.uuid4().hex
        with self._lock:
            self._reply_tokens[token] = _ReplyToken(user_id, self.clock())
        return token

    def signature(self, body: bytes) -> str:
        digest = hmac.new(self.channel_secret.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def webhook_request(
        self, events: list[dict], destination: str = "U" + "deadbeef" * 4
    ) -> tuple[bytes, dict]:
        """The body and headers LINE would POST to the bot's webhook URL."""
        body = json.dumps(
            {"destination": destination, "events": events}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Line-Signature": self.signature(body),
            "User-Agent": "LineBotWebhook/2.0",
        }
        return body, headers

    def text_event(self, user_id: str, text: str, *, quote_token: bool = True) -> dict:
        message = {"id": self._message_id(), "type": "text", "text": text}
        if quote_token:
            message["quoteToken"] = self._quote_token()
        return self._event("message", self._user_source(user_id), message=message)

    def follow_event(self, user_id: str) -> dict:
        with self._lock:
            was_blocked = self._following.get(user_id) is False
            self._following[user_id] = True
        return self._event("follow", self._user_source(user_id), follow={"isUnblocked": was_blocked})

    def unfollow_event(self, user_id: str) -> dict:
        with self._lock:
            self._following[user_id] = False
        return self._event("unfollow", {"type": "user", "userId": user_id}, reply=False)

    def location_event(
        self,
        user_id: str,
        latitude: float,
        longitude: float,
        title: str | None = None,
        address: str | None = None,
    ) -> dict:
        message: dict[str, Any] = {"id": self._message_id(), "type": "location"}
        if title is not None:
            message["title"] = title
        if address is not None:
            message["address"] = address
        message.update(latitude=latitude, longitude=longitude)
        return self._event("message", self._user_source(user_id), message=message)

    def image_event(
        self, user_id: str, data: bytes | None = None, content_type: str = "image/jpeg"
    ) -> dict:
        """An image message whose content is then downloadable from the fake."""
        message_id = self._message_id()
        self.add_content(message_id, tiny_jpeg() if data is None else data, content_type)
        message = {
            "id": message_id,
            "type": "image",
            "contentProvider": {"type": "line"},
            "quoteToken": self._quote_token(),
        }
        return self._event("message", self._user_source(user_id), message=message)

    def sticker_event(self, user_id: str, package_id: str = "446", sticker_id: str = "1988") -> dict:
        message = {
            "id": self._message_id(),
            "type": "sticker",
            "packageId": package_id,
            "stickerId": sticker_id,
            "stickerResourceType": "STATIC",
            "quoteToken": self._quote_token(),
        }
        return self._event("message", self._user_source(user_id), message=message)

    def postback_event(self, user_id: str, data: str, params: dict | None = None) -> dict:
        postback: dict[str, Any] = {"data": data}
        if params:
            postback["params"] = dict(params)
        return self._event("postback", self._user_source(user_id), postback=postback)

    def group_text_event(self, group_id: str, user_id: str, text: str) -> dict:
        message = {"id": self._message_id(), "type": "text", "text": text, "quoteToken": self._quote_token()}
        source = {"type": "group", "groupId": group_id, "userId": user_id}
        return self._event("message", source, message=message)

    @staticmethod
    def redelivered(event: dict) -> dict:
        """The same event as LINE redelivers it (same webhookEventId)."""
        again = copy.deepcopy(event)
        again["deliveryContext"] = {"isRedelivery": True}
        return again

    def _event(self, event_type: str, source: dict, *, reply: bool = True, **payload: Any) -> dict:
        event: dict[str, Any] = {}
        if reply:
            chat_id = source.get("groupId") or source.get("roomId") or source["userId"]
            event["replyToken"] = self.issue_reply_token(chat_id)
        now_ms = int(self.clock() * 1000)
        event.update(
            type=event_type,
            mode="active",
            timestamp=now_ms,
            source=source,
            webhookEventId=self._ulid(now_ms),
            deliveryContext={"isRedelivery": False},
        )
        event.update(payload)
        return event

    def _user_source(self, user_id: str) -> dict:
        with self._lock:
            self._following.setdefault(user_id, True)
        return {"type": "user", "userId": user_id}

    def _message_id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    @staticmethod
    def _quote_token() -> str:
        return secrets.token_urlsafe(48)

    @staticmethod
    def _ulid(now_ms: int) -> str:
        value = (now_ms & (2**48 - 1)) << 80 | secrets.randbits(80)
        return "".join(_ULID_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))

    # ------------------------------------------------------------ HTTP layer

    def _build_app(self) -> Flask:
        app = Flask(__name__)
        for op in self.spec.operations:
            app.add_url_rule(
                op.flask_rule,
                endpoint=op.operation_id,
                view_func=functools.partial(self._serve_operation, op),
                methods=[op.method],
            )
        app.register_error_handler(NotFound, lambda e: self._respond(_error(404, "Not found")))
        app.register_error_handler(
            MethodNotAllowed, lambda e: self._respond(_error(405, "Method Not Allowed"))
        )
        return app

    def _serve_operation(self, op: Operation, **path_params: str) -> Response:
        if self._latency > 0:
            time.sleep(self._latency)
        request.get_data()  # read the whole body now: handlers run under the lock
        body = request.get_json(force=True, silent=True) if op.body_schema else None
        hang = None
        answer = self._authenticate()
        if answer is None:
            answer = self._injected_failure()
        if answer is None:
            hang = self._take(self._hangs, request.path)
            answer = self._validate(op, body)
        request_id = uuid.uuid4().hex
        if answer is None:
            handler = self._handlers.get(op.operation_id)
            if handler is None:
                answer = _error(501, f"FakeLine does not implement {op.operation_id}")
            else:
                with self._lock:
                    answer = handler(path_params, body, request_id)
        response = self._respond(answer, body, request_id)
        if hang is not None:
            time.sleep(hang.seconds)
        return response

    def _authenticate(self) -> _Answer | None:
        if request.headers.get("Authorization", "") != f"Bearer {self.access_token}":
            return _error(401, AUTH_FAILED)
        return None

    def _injected_failure(self) -> _Answer | None:
        fault = self._take(self._failures, request.path)
        if fault is None:
            return None
        message = _FAULT_MESSAGES.get(fault.status) or HTTPStatus(fault.status).phrase
        answer = _error(fault.status, message)
        if fault.retry_after is not None:
            answer.headers["Retry-After"] = str(fault.retry_after)
        return answer

    def _validate(self, op: Operation, body: Any) -> _Answer | None:
        for param in op.header_params:
            value = request.headers.get(param["name"])
            if value is None:
                if param.get("required"):
                    return _error(400, f"The '{param['name']}' header is required")
            elif param.get("schema", {}).get("format") == "uuid" and not _is_uuid(value):
                return _error(400, f"The value for the '{param['name']}' header is invalid")
        if op.body_schema is None:
            return None
        if body is None:
            if request.get_data() or op.body_required:
                return _error(400, "The request body could not be parsed as JSON")
            return None
        details = self.spec.errors(op.body_schema, body)
        extra = _EXTRA_CHECKS.get(op.body_schema)
        if extra is not None:
            details += [d for d in extra(self.spec, body) if d not in details]
        if details:
            return _error(400, f"The request body has {len(details)} error(s)", details=details)
        return None

    def _respond(self, answer: _Answer, body: Any = None, request_id: str | None = None) -> Response:
        request_id = request_id or uuid.uuid4().hex
        if answer.data is not None:
            response = Response(answer.data, status=answer.status, content_type=answer.content_type)
        else:
            payload = json.dumps(answer.json if answer.json is not None else {}, ensure_ascii=False)
            response = Response(payload, status=answer.status, content_type="application/json; charset=UTF-8")
        response.headers["x-line-request-id"] = request_id
        for name, value in answer.headers.items():
            response.headers[name] = value
        call = Call(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            json=body,
            status=answer.status,
            response_json=answer.json if answer.data is None else None,
            at=self.clock(),
            request_id=request_id,
        )
        with self._lock:
            self.calls.append(call)
        return response

    # -------------------------------------------------------------- handlers
    # Each runs with self._lock held, after auth, fault injection and
    # validation; it returns the answer to send.

    def _handler_table(self) -> dict[str, Callable[[dict, Any, str], _Answer]]:
        ok = self._ok  # validation endpoints: reaching the handler means valid
        return {
            "replyMessage": self._reply,
            "pushMessage": self._push,
            "multicast": self._multicast,
            "broadcast": self._broadcast,
            "validateReply": ok,
            "validatePush": ok,
            "validateMulticast": ok,
            "validateBroadcast": ok,
            "showLoadingAnimation": self._accepted,
            "getProfile": self._get_profile,
            "getMessageContent": self._get_content,
            "createRichMenu": self._create_rich_menu,
            "validateRichMenuObject": ok,
            "setRichMenuImage": self._set_rich_menu_image,
            "getRichMenuImage": self._get_rich_menu_image,
            "getRichMenu": self._get_rich_menu,
            "getRichMenuList": self._list_rich_menus,
            "deleteRichMenu": self._delete_rich_menu,
            "linkRichMenuIdToUser": self._link_user,
            "getRichMenuIdOfUser": self._get_user_menu,
            "unlinkRichMenuIdFromUser": self._unlink_user,
            "linkRichMenuIdToUsers": self._bulk_link,
            "unlinkRichMenuIdFromUsers": self._bulk_unlink,
            "setDefaultRichMenu": self._set_default,
            "getDefaultRichMenuId": self._get_default,
            "cancelDefaultRichMenu": self._cancel_default,
            "createRichMenuAlias": self._create_alias,
            "getRichMenuAlias": self._get_alias,
            "updateRichMenuAlias": self._update_alias,
            "deleteRichMenuAlias": self._delete_alias,
            "getRichMenuAliasList": self._list_aliases,
        }

    @staticmethod
    def _ok(params, body, request_id) -> _Answer:
        return _Answer(200, {})

    @staticmethod
    def _accepted(params, body, request_id) -> _Answer:
        return _Answer(202, {})

    def _deliver(self, chat_id: str, messages: list[dict]) -> list[dict]:
        sent = []
        for message in messages:
            entry = {"id": str(next(self._ids))}
            if message.get("type") in QUOTABLE_TYPES:
                entry["quoteToken"] = self._quote_token()
            self._deliveries.append((chat_id, copy.deepcopy(message)))
            sent.append(entry)
        return sent

    def _reply(self, params, body, request_id) -> _Answer:
        token = self._reply_tokens.get(body["replyToken"])
        if token is None or token.used or self.clock() - token.issued_at > REPLY_TOKEN_TTL:
            return _error(400, "Invalid reply token")
        token.used = True
        return _Answer(200, {"sentMessages": self._deliver(token.chat_id, body["messages"])})

    def _with_retry_key(self, request_id: str, send: Callable[[], _Answer]) -> _Answer:
        key = request.headers.get("X-Line-Retry-Key", "").lower()
        now = self.clock()
        accepted = self._retry_keys.get(key) if key else None
        if accepted is not None and now - accepted.at <= RETRY_KEY_TTL:
            extra = {"sentMessages": accepted.sent_messages} if accepted.sent_messages else {}
            answer = _error(409, "The retry key is already accepted", **extra)
            answer.headers["x-line-accepted-request-id"] = accepted.request_id
            return answer
        answer = send()
        if key and 200 <= answer.status < 300:
            self._retry_keys[key] = _AcceptedRetryKey(request_id, now, answer.json.get("sentMessages"))
        return answer

    def _push(self, params, body, request_id) -> _Answer:
        return self._with_retry_key(
            request_id,
            lambda: _Answer(200, {"sentMessages": self._deliver(body["to"], body["messages"])}),
        )

    def _multicast(self, params, body, request_id) -> _Answer:
        def send() -> _Answer:
            for user_id in body["to"]:
                self._deliver(user_id, body["messages"])
            return _Answer(200, {})

        return self._with_retry_key(request_id, send)

    def _broadcast(self, params, body, request_id) -> _Answer:
        def send() -> _Answer:
            for user_id, following in list(self._following.items()):
                if following:
                    self._deliver(user_id, body["messages"])
            return _Answer(200, {})

        return self._with_retry_key(request_id, send)

    def _get_profile(self, params, body, request_id) -> _Answer:
        profile = self._profiles.get(params["userId"])
        return _Answer(200, dict(profile)) if profile else _error(404, "Not found")

    def _get_content(self, params, body, request_id) -> _Answer:
        found = self._contents.get(params["messageId"])
        if found is None:
            return _error(404, "Not found")
        return _Answer(200, data=found[0], content_type=found[1])

    # rich menus

    def _create_rich_menu(self, params, body, request_id) -> _Answer:
        menu_id = "richmenu-" + uuid.uuid4().hex
        self.rich_menus[menu_id] = {"richMenuId": menu_id, **copy.deepcopy(body)}
        return _Answer(200, {"richMenuId": menu_id})

    def _menu_ready(self, menu_id: str) -> _Answer | None:
        """Why a menu cannot be shown to users yet, or None when it can."""
        if menu_id not in self.rich_menus:
            return _error(404, "Not found")
        if menu_id not in self._rich_menu_images:
            return _error(400, "must upload richmenu image before applying it to user")
        return None

    def _set_rich_menu_image(self, params, body, request_id) -> _Answer:
        menu = self.rich_menus.get(params["richMenuId"])
        if menu is None:
            return _error(404, "Not found")
        if params["richMenuId"] in self._rich_menu_images:
            return _error(400, "An image has already been uploaded to the richmenu")
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in RICH_MENU_IMAGE_TYPES:
            return _error(415, "Unsupported media type")
        data = request.get_data()
        if len(data) > RICH_MENU_IMAGE_MAX_BYTES:
            return _error(413, "Request Entity Too Large")
        expected = (menu["size"]["width"], menu["size"]["height"])
        if image_size(data) != expected:
            return _error(400, f"Image size must be {expected[0]}x{expected[1]}, the rich menu size")
        self._rich_menu_images[params["richMenuId"]] = (data, content_type)
        return _Answer(200, {})

    def _get_rich_menu_image(self, params, body, request_id) -> _Answer:
        found = self._rich_menu_images.get(params["richMenuId"])
        if found is None:
            return _error(404, "Not found")
        return _Answer(200, data=found[0], content_type=found[1])

    def _get_rich_menu(self, params, body, request_id) -> _Answer:
        menu = self.rich_menus.get(params["richMenuId"])
        return _Answer(200, copy.deepcopy(menu)) if menu else _error(404, "Not found")

    def _list_rich_menus(self, params, body, request_id) -> _Answer:
        return _Answer(200, {"richmenus": copy.deepcopy(list(self.rich_menus.values()))})

    def _delete_rich_menu(self, params, body, request_id) -> _Answer:
        menu_id = params["richMenuId"]
        if self.rich_menus.pop(menu_id, None) is None:
            return _error(404, "Not found")
        self._rich_menu_images.pop(menu_id, None)
        self._user_menus = {u: m for u, m in self._user_menus.items() if m != menu_id}
        if self.default_rich_menu == menu_id:
            self.default_rich_menu = None
        return _Answer(200, {})

    def _link_user(self, params, body, request_id) -> _Answer:
        problem = self._menu_ready(params["richMenuId"])
        if problem:
            return problem
        self._user_menus[params["userId"]] = params["richMenuId"]
        return _Answer(200, {})

    def _get_user_menu(self, params, body, request_id) -> _Answer:
        menu_id = self._user_menus.get(params["userId"])
        return _Answer(200, {"richMenuId": menu_id}) if menu_id else _error(404, "the user has no richmenu")

    def _unlink_user(self, params, body, request_id) -> _Answer:
        self._user_menus.pop(params["userId"], None)
        return _Answer(200, {})

    def _bulk_link(self, params, body, request_id) -> _Answer:
        problem = self._menu_ready(body["richMenuId"])
        if problem:
            return problem
        for user_id in body["userIds"]:
            self._user_menus[user_id] = body["richMenuId"]
        return _Answer(202, {})

    def _bulk_unlink(self, params, body, request_id) -> _Answer:
        for user_id in body["userIds"]:
            self._user_menus.pop(user_id, None)
        return _Answer(202, {})

    def _set_default(self, params, body, request_id) -> _Answer:
        problem = self._menu_ready(params["richMenuId"])
        if problem:
            return problem
        self.default_rich_menu = params["richMenuId"]
        return _Answer(200, {})

    def _get_default(self, params, body, request_id) -> _Answer:
        if self.default_rich_menu is None:
            return _error(404, "no default richmenu")
        return _Answer(200, {"richMenuId": self.default_rich_menu})

    def _cancel_default(self, params, body, request_id) -> _Answer:
        self.default_rich_menu = None
        return _Answer(200, {})

    def _create_alias(self, params, body, request_id) -> _Answer:
        if body["richMenuAliasId"] in self.rich_menu_aliases:
            return _error(400, "conflict richmenu alias id")
        problem = self._menu_ready(body["richMenuId"])
        if problem:
            return problem
        self.rich_menu_aliases[body["richMenuAliasId"]] = body["richMenuId"]
        return _Answer(200, {})

    def _get_alias(self, params, body, request_id) -> _Answer:
        alias = params["richMenuAliasId"]
        if alias not in self.rich_menu_aliases:
            return _error(404, "Not found")
        return _Answer(200, {"richMenuAliasId": alias, "richMenuId": self.rich_menu_aliases[alias]})

    def _update_alias(self, params, body, request_id) -> _Answer:
        if params["richMenuAliasId"] not in self.rich_menu_aliases:
            return _error(404, "Not found")
        problem = self._menu_ready(body["richMenuId"])
        if problem:
            return problem
        self.rich_menu_aliases[params["richMenuAliasId"]] = body["richMenuId"]
        return _Answer(200, {})

    def _delete_alias(self, params, body, request_id) -> _Answer:
        if self.rich_menu_aliases.pop(params["richMenuAliasId"], None) is None:
            return _error(404, "Not found")
        return _Answer(200, {})

    def _list_aliases(self, params, body, request_id) -> _Answer:
        aliases = [{"richMenuAliasId": a, "richMenuId": m} for a, m in self.rich_menu_aliases.items()]
        return _Answer(200, {"aliases": aliases})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _rich_menu_checks(spec: ApiSpec, body: dict) -> list[dict]:
    """What LINE requires of a rich menu beyond RichMenuRequest.

    The spec describes the stored menu as RichMenuResponse (required fields,
    at most 20 areas), so a new menu must already fit that shape.
    """
    details = spec.errors("RichMenuResponse", {"richMenuId": "-", **body})
    size = body.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if isinstance(width, int) and isinstance(height, int) and height > 0:
        if width / height < RICH_MENU_MIN_ASPECT:
            details.append(
                {"message": f"Aspect ratio (width/height) must be {RICH_MENU_MIN_ASPECT} or more", "property": "size"}
            )
    return details


_EXTRA_CHECKS: dict[str, Callable[[ApiSpec, Any], list[dict]]] = {
    "RichMenuRequest": _rich_menu_checks,
}
