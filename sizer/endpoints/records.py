"""Endpoint runs as ``sizer.run`` records, like local runs: backend ``endpoint`` with the
server's API, software and the model it reported; never the API key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sizer.bench.record import model_failure, new_record
from sizer.endpoints.server import Server

BACKEND = "endpoint"


def base_record(kind: str, server: Server, config: dict[str, Any]) -> dict[str, Any]:
    ep = server.endpoint
    identity = json.dumps([ep.base_url, ep.api, ep.model, kind, config], sort_keys=True)
    return new_record(
        kind=kind,
        key=hashlib.sha256(identity.encode()).hexdigest()[:16],
        model={"label": ep.model, "reported": None},
        backend={"name": BACKEND, "device": ep.api, **server.info()},
        config=config,
        # the server's hardware when it runs here; a remote server's is not known
        hardware=server.hardware,
    )


def unreachable(
    kind: str, url: str, model: str | None, message: str, config: dict[str, Any]
) -> dict[str, Any]:
    """A run that never reached a usable server."""
    return {
        **model_failure(model, message, None),
        "kind": kind,
        "backend": {"name": BACKEND, "url": url},
        "config": config,
    }
