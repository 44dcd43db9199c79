"""LINE's OpenAPI documents (devtools/line_spec): their operations, and their schemas with the limits
LINE documents elsewhere, checked by the compiled validator."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from devtools.fakeline.schema import SCHEMA_PREFIX, SchemaCompiler

SPEC_DIR = Path(__file__).resolve().parents[1] / "line_spec"

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
        self._compiler = SchemaCompiler(self.schemas)
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
        return self._compiler.errors(schema_name, instance)


@functools.cache
def messaging_api_spec() -> ApiSpec:
    """The Messaging API spec plus ``DOCUMENTED_LIMITS`` (loaded once, on first use)."""
    return ApiSpec(SPEC_DIR / "messaging-api.yml", DOCUMENTED_LIMITS)


@functools.cache
def webhook_spec() -> ApiSpec:
    """The webhook spec, for checking that built events have LINE's shape."""
    return ApiSpec(SPEC_DIR / "webhook.yml")

