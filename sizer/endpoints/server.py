"""Before any measurement: which API the server speaks (``--api auto``), which models it
has, and whether the one asked for is among them — so a wrong name is one clear line, not
a benchmark of whatever the server happens to answer with."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

import httpx

from sizer.endpoints.client import describe, new_client
from sizer.endpoints.target import Endpoint
from sizer.endpoints.wire import http_problem
from sizer.errors import MeasurementError

LIST_TIMEOUT_S = 15.0


class EndpointError(MeasurementError):
    """The endpoint cannot be benchmarked; the message says why in one line."""


@dataclass(frozen=True)
class Server:
    endpoint: Endpoint  # api and model resolved
    software: str | None  # the Server header ("uvicorn", "llama.cpp", ...) where sent
    models: list[str]  # what the server lists (empty: it has no list endpoint)
    hardware: dict[str, Any] | None = None  # the server's, when it runs on this machine

    def info(self) -> dict[str, Any]:
        return {
            **self.endpoint.public(),
            "software": self.software,
            "models_listed": self.models[:20],
        }


async def connect(ep: Endpoint) -> Server:
    async with new_client(ep, LIST_TIMEOUT_S) as client:
        if ep.api in ("auto", "ollama"):
            found = await _list(client, ep, f"{ep.base_url}/api/tags", "models", "name")
            if found is not None or ep.api == "ollama":
                return _resolved(replace(ep, api="ollama"), *(found or ([], None)))
        found = await _list(client, ep, f"{ep.base_url}/v1/models", "data", "id")
        return _resolved(replace(ep, api="openai"), *(found or ([], None)))


async def _list(
    client: httpx.AsyncClient, ep: Endpoint, url: str, key: str, field: str
) -> tuple[list[str], str | None] | None:
    """The model names a listing endpoint gives; None when the server has no such endpoint
    (404 or not JSON); EndpointError when the server cannot be reached or refuses."""
    try:
        response = await client.get(url)
    except (httpx.HTTPError, OSError) as exc:
        raise EndpointError(describe(exc, url, ep)) from None
    if response.status_code in (401, 403):
        raise EndpointError(http_problem(response.status_code, response.text, ep.key_env))
    if response.status_code >= 400:
        return None
    try:
        entries = response.json().get(key)
    except (ValueError, AttributeError):
        return None
    if not isinstance(entries, list):
        return None
    names = [str(e.get(field)) for e in entries if isinstance(e, dict) and e.get(field)]
    return names, response.headers.get("server")


def _resolved(ep: Endpoint, models: list[str], software: str | None) -> Server:
    if ep.model is None:
        if len(models) != 1:
            listed = ", ".join(models[:10]) or "none listed"
            raise EndpointError(f"name the model with --model (the server has: {listed})")
        return Server(replace(ep, model=models[0]), software, models)
    if models and not any(_same(ep.model, name) for name in models):
        raise EndpointError(
            f"the server at {ep.base_url} has no model {ep.model!r} (it has: "
            f"{', '.join(models[:10])})"
        )
    return Server(ep, software, models)


def _same(asked: str, listed: str) -> bool:
    """ "gemma3" matches Ollama's "gemma3:latest"; a file name matches a server that lists
    the model by its path (llama-cpp-python without an alias)."""
    a, b = asked.lower(), listed.lower()
    stem = PurePath(b).name.removesuffix(".gguf")
    return a in (b, b.removesuffix(":latest"), stem, PurePath(b).name)


async def parallel_slots(ep: Endpoint) -> int | None:
    """How many requests the server decodes at once, where it says: llama.cpp's server
    reports ``total_slots`` at ``/props`` (its ``--parallel``); Ollama and llama-cpp-python's
    server publish nothing of the kind (None)."""
    async with new_client(ep, LIST_TIMEOUT_S) as client:
        try:
            response = await client.get(f"{ep.base_url}/props")
            slots = response.json().get("total_slots") if response.status_code == 200 else None
        except (httpx.HTTPError, OSError, ValueError, AttributeError):
            return None
    return slots if isinstance(slots, int) and slots >= 1 else None
