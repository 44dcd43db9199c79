"""gunicorn's access log without download tokens (Procfile: --logger-class): a link's path is the key
to a file of children's data, so a log line that keeps it keeps a usable key (line/download_links.py)."""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

_TOKEN = re.compile(r"(/download/)[^\s?#\"]+")


class PrivateAccessLog(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # The request line, the path and the referer can all carry the token.
        return {key: _TOKEN.sub(r"\1…", value) if isinstance(value, str) else value for key, value in atoms.items()}
