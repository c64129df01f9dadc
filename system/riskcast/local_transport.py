"""A transport that posts straight into an IngestHandler, in the same process.

WHY: the RiskCast app replays missing signals "through the ingest URL" of ITSELF; going through
the same handler in-process keeps one code path (413/422/200/409) without an HTTP round trip to
our own socket, and stays deterministic, so tests and the simulation can use it too.
The url is accepted for the port's shape and ignored; timeout_s is not enforced (the handler is
local, its only wait is the SQL runner, which has its own busy timeout).
"""
from __future__ import annotations

from pydantic_core import to_json

from riskcast.ingest import IngestHandler


class IngestHandlerTransport:
    def __init__(self, handler: IngestHandler) -> None:
        self._handler = handler

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        assert timeout_s > 0, timeout_s
        status, document = await self._handler.handle(body)
        # pydantic's encoder: compact UTF-8 JSON, the same document several times faster than
        # json.dumps(...).encode() (the answer's bytes are parsed, never compared, by its callers)
        return status, to_json(document)
