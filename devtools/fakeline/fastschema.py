"""LINE's OpenAPI 3.0 schemas translated to JSON Schema draft-07 and compiled by fastjsonschema.

The same interface as schema.SchemaCompiler (``errors(name, instance)``), to compare the two.
What the translation does with the OpenAPI-isms the hand-written compiler handles:

* siblings of ``$ref`` are dropped (OAS 3.0 ignores them);
* annotations (``format``, ``default``, ``readOnly``, ``example`` …) are dropped: fastjsonschema would
  check ``format: uri``/``date-time`` and, by default, write ``default`` values into the body;
* ``nullable`` becomes ``if: {type: null}, else: <schema>``, so errors inside still surface;
* ``discriminator`` becomes a chain of ``if {type: const} then $ref <subtype> else …`` ending in
  ``required`` + ``enum`` of the mapped values (the hand-written compiler's two errors);
* ``minLength``/``maxLength`` become a custom format counting UTF-16 code units, as LINE does;
* boolean ``exclusiveMinimum``/``exclusiveMaximum`` (OAS 3.0) become draft-07's numeric ones;
* an unescaped ``$`` in a pattern becomes ``(?=\\n?\\Z)``: fastjsonschema turns ``$`` into ``\\Z``,
  the hand-written compiler keeps Python's ``$`` (which also matches before a final newline).

Not translatable: draft-06+ counts 1.0 as an integer, the hand-written compiler (and OAS 3.0's
JSON Schema Wright-00) does not.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import fastjsonschema

from devtools.fakeline.schema import SCHEMA_PREFIX, utf16_len

# Keywords that describe rather than constrain (the hand-written compiler's list).
_ANNOTATIONS = {
    "description", "externalDocs", "example", "examples", "format", "default",
    "title", "deprecated", "readOnly", "writeOnly", "xml",
}
_KEYWORDS = {
    "type", "nullable", "enum", "maxLength", "minLength", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "maxItems", "minItems", "items", "required",
    "properties", "additionalProperties", "allOf", "oneOf", "anyOf", "discriminator",
}
_COPIED = {"type", "enum", "minimum", "maximum", "multipleOf", "maxItems", "minItems", "required"}
_DOLLAR = re.compile(r"(?<!\\)\$")
_LENGTH_FORMAT = "utf16-length:"


class FastSchemaValidator:
    """Validates against the translated schemas; one fastjsonschema function per schema name, compiled
    on first use (a function covers everything the schema references)."""

    def __init__(self, schemas: dict):
        self.formats: dict[str, Callable[[str], bool]] = {}
        self.translated: dict[str, dict] = {}
        # Translated at load, so an unsupported keyword fails there and not mid-request.
        for name, schema in schemas.items():
            self.translated[name] = self._translate(schema)
        self.document = {"components": {"schemas": self.translated}}
        self._validators: dict[str, Callable[[Any], Any]] = {}

    def validator(self, name: str) -> Callable[[Any], Any]:
        found = self._validators.get(name)
        if found is None:
            definition = {**self.document, "$ref": SCHEMA_PREFIX + name}
            found = self._validators[name] = fastjsonschema.compile(
                definition, formats=self.formats, use_default=False, fast_fail=False
            )
        return found

    def errors(self, name: str, instance: Any) -> list[dict]:
        """LINE-style error details (``{"message", "property"}``) of ``instance`` against schema ``name``."""
        try:
            self.validator(name)(instance)
        except fastjsonschema.JsonSchemaValuesException as failed:
            found = failed.errors
        except fastjsonschema.JsonSchemaValueException as failed:  # raised from inside a combinator
            found = [failed]
        else:
            return []
        details, seen = [], set()
        for error in found:
            for detail in _details(error):
                if (detail["message"], detail["property"]) not in seen:
                    seen.add((detail["message"], detail["property"]))
                    details.append(detail)
        return details

    # ------------------------------------------------------------ translation

    def _translate(self, schema: dict) -> dict:
        if "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith(SCHEMA_PREFIX):
                raise ValueError(f"unresolvable $ref {ref!r}")
            return {"$ref": ref}
        unknown = {k for k in schema if k not in _ANNOTATIONS and not k.startswith("x-")} - _KEYWORDS
        if unknown:
            raise ValueError(f"unsupported schema keywords {sorted(unknown)}")
        out: dict[str, Any] = {k: v for k, v in schema.items() if k in _COPIED}
        if "properties" in schema:
            out["properties"] = {n: self._translate(s) for n, s in schema["properties"].items()}
        if "items" in schema:
            out["items"] = self._translate(schema["items"])
        if "additionalProperties" in schema:
            extra = schema["additionalProperties"]
            out["additionalProperties"] = self._translate(extra) if isinstance(extra, dict) else extra
        for key in ("allOf", "oneOf", "anyOf"):
            if key in schema:
                out[key] = [self._translate(part) for part in schema[key]]
        if "pattern" in schema:
            out["pattern"] = _DOLLAR.sub(r"(?=\\n?\\Z)", schema["pattern"])
        if "minLength" in schema or "maxLength" in schema:
            out["format"] = self._length_format(schema.get("minLength", 0), schema.get("maxLength", 2**31 - 1))
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if schema.get(exclusive) and bound in out:
                out[exclusive] = out.pop(bound)
        if "discriminator" in schema:
            out = {"allOf": [out, self._dispatch(schema["discriminator"])]}
        if schema.get("nullable"):
            out = {"if": {"type": "null"}, "else": out}
        return out

    def _dispatch(self, discriminator: dict) -> dict:
        """``if <prop> is v1 then <subtype 1> else if …``; each ``else`` is a schema of its own, so each
        link is a function of its own (Python allows 20 nested blocks in one function)."""
        prop = discriminator["propertyName"]
        mapping = discriminator.get("mapping") or {}
        # Neither the property nor one of its mapped values: the hand-written compiler's two errors.
        chain: dict = {"required": [prop], "properties": {prop: {"enum": list(mapping)}}}
        for value, ref in reversed(mapping.items()):
            if not ref.startswith(SCHEMA_PREFIX):
                raise ValueError(f"unresolvable $ref {ref!r}")
            link = f"__dispatch{len(self.translated)}"
            self.translated[link] = chain
            test = {"required": [prop], "properties": {prop: {"enum": [value]}}}
            chain = {"if": test, "then": {"$ref": ref}, "else": {"$ref": SCHEMA_PREFIX + link}}
        return chain

    def _length_format(self, low: int, high: int) -> str:
        name = f"{_LENGTH_FORMAT}{low}:{high}"
        self.formats[name] = lambda value: low <= utf16_len(value) <= high
        return name


# ------------------------------------------------------------------ errors


def _details(error: fastjsonschema.JsonSchemaValueException) -> list[dict]:
    """The hand-written compiler's messages and property paths for one fastjsonschema error."""
    at = error.name[len("data"):].lstrip(".") if error.name else ""
    rule, definition, value = error.rule, error.definition or {}, error.value

    def child(name: str) -> str:
        return f"{at}.{name}" if at else name

    if rule == "required":
        return [{"message": "must be specified", "property": child(n)} for n in definition["required"]
                if isinstance(value, dict) and n not in value]
    if rule == "additionalProperties":
        known = set(definition.get("properties", ()))
        return [{"message": "Unknown property", "property": child(n)} for n in value.keys() - known]
    return [{"message": _message(rule, definition), "property": at}]


def _message(rule: str | None, definition: dict) -> str:
    if rule == "type":
        return f"Must be of type {definition['type']}"
    if rule == "enum":
        return f"Must be one of the following values: [{', '.join(map(str, definition['enum']))}]"
    if rule == "format" and definition["format"].startswith(_LENGTH_FORMAT):
        low, high = definition["format"].removeprefix(_LENGTH_FORMAT).split(":")
        return f"Length must be between {low} and {high}"
    if rule == "pattern":
        return f"Must match the pattern {_DOLLAR_BACK.sub('$', definition['pattern'])}"
    if rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low = definition.get("minimum", definition.get("exclusiveMinimum"))
        high = definition.get("maximum", definition.get("exclusiveMaximum"))
        if low is not None and high is not None:
            return f"Must be between {low} and {high}"
        if low is not None:
            return f"Must be greater than or equal to {low}"
        return f"Must be less than or equal to {high}"
    if rule == "multipleOf":
        return f"Must be a multiple of {definition['multipleOf']}"
    if rule in ("minItems", "maxItems"):
        return f"Size must be between {definition.get('minItems', 0)} and {definition.get('maxItems', 2**31 - 1)}"
    if rule == "oneOf":
        return "Must match exactly one allowed schema"
    if rule == "anyOf":
        return "Must match an allowed schema"
    raise ValueError(f"no LINE message for the rule {rule!r}")


_DOLLAR_BACK = re.compile(re.escape(r"(?=\n?\Z)"))
