"""A faithful in-process fake of the LINE Messaging API platform.

No machine that runs this project's tests can reach LINE, so the test-suite and
the local browser simulator talk to this fake instead.  The bot uses the real
``line-bot-sdk`` clients with ``Configuration(host=<fake base URL>)``; with a
host set, the SDK sends both ``api.line.me`` and ``api-data.line.me`` paths to
that host, so one fake serves both.

What "faithful" means here:

* Routes are generated from the vendored OpenAPI document
  (``devtools/line_spec/messaging-api.yml``); a path that is not in the spec is a
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
* Beside the spec's routes, LINE Login's ``POST /oauth2/v2.1/verify`` for the
  ID tokens the fake issues (``issue_id_token``), as a LIFF page sends them:
  LINE Login is not in the Messaging API spec.

It also builds signed webhook requests whose events have the exact shape of
LINE's webhook JSON, and records every call so tests can assert on what the
bot sent.

Modules: ``spec`` (the OpenAPI documents and their operations) and ``schema``
(their schemas compiled to checks), ``server`` (``FakeLine``: routes, auth,
validation, messaging handlers), ``events`` (webhook bodies and event
builders), ``faults`` (fault injection), ``richmenus``, ``loading`` (the
loading animation), ``login`` (LINE Login's ID tokens), ``answers`` (what
a handler returns, what a call recorded) and ``images``.
"""

from devtools.fakeline.images import image_size, solid_png, tiny_jpeg
from devtools.fakeline.richmenus import RICH_MENU_IMAGE_MAX_BYTES
from devtools.fakeline.schema import utf16_len
from devtools.fakeline.server import AUTH_FAILED, FakeLine
from devtools.fakeline.spec import messaging_api_spec, webhook_spec

__all__ = [
    "AUTH_FAILED",
    "FakeLine",
    "RICH_MENU_IMAGE_MAX_BYTES",
    "image_size",
    "messaging_api_spec",
    "solid_png",
    "tiny_jpeg",
    "utf16_len",
    "webhook_spec",
]
