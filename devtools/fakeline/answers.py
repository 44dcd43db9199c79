"""What the fake answers: an Answer (what a handler returns) and a Call (the record of one answered call)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
class Answer:
    """A handler's answer: a JSON body, or binary data with its content type."""

    status: int = 200
    json: Any = None
    data: bytes | None = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)


def error(status: int, message: str, **extra: Any) -> Answer:
    """An error with LINE's body: ``{"message": ..., **extra}``."""
    return Answer(status, {"message": message, **extra})

