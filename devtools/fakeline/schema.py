"""LINE's OpenAPI 3.0 schemas compiled into plain Python checks that report LINE-style errors."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

SCHEMA_PREFIX = "#/components/schemas/"


def utf16_len(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


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


class SchemaCompiler:
    """Compiles OpenAPI 3.0 schema objects into plain Python checks.

    A generic JSON-Schema library (jsonschema + openapi-schema-validator)
    walks the schema tree and its references again on every call and took
    ~15 ms for a maximal reply; the compiled checks are about ten times
    faster.  fastjsonschema on the same schemas, translated to draft-07, was
    three times slower per call on five Flex carousels (~34 against ~11 ms)
    and took 30 times longer to compile (docs/performance.md, "Fake LINE:
    validating calls"): JSON Schema cannot dispatch on a discriminator, so
    it tries the subtypes in turn, an exception per miss, where
    ``_discriminator`` looks the subtype up.
    Semantics follow OAS 3.0: siblings of ``$ref`` are ignored,
    ``nullable`` admits None, and a ``discriminator`` dispatches on the
    property value to the mapped subtype.  Lengths are counted in UTF-16 code
    units, as LINE's servers count them.  An unknown keyword is an error, so a
    spec update cannot silently loosen validation.
    """

    def __init__(self, schemas: dict):
        self.schemas = schemas
        self._named: dict[str, _Check] = {}

    def errors(self, name: str, instance: Any) -> list[dict]:
        """LINE-style error details (``{"message", "property"}``) of ``instance`` against schema ``name``."""
        found: _Errors = []
        self.named(name)(instance, (), found)
        details, seen = [], set()
        for path, message in found:
            detail = {"message": message, "property": _property_path(path)}
            if (message, detail["property"]) not in seen:
                seen.add((message, detail["property"]))
                details.append(detail)
        return details

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


def _property_path(path: Iterable) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
