"""Which server to talk to, and whether sizer may: an endpoint is contacted only at the URL
the user gives; one that is not on this machine needs ``--allow-remote`` (prompts leave the
machine). The API key comes from an environment variable and is never written anywhere."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sizer.errors import InputError

APIS = ("auto", "openai", "ollama")
DEFAULT_KEY_ENV = "SIZER_API_KEY"


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # scheme://host:port[/prefix], without the API's own /v1 or /api
    api: str  # "openai" or "ollama" ("auto" until detected)
    model: str | None
    local: bool
    key_env: str
    api_key: str | None = field(default=None, repr=False)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def public(self) -> dict[str, Any]:
        """What results may say about the endpoint: never the key, only where it came from."""
        return {
            "url": self.base_url,
            "api": self.api,
            "model": self.model,
            "local": self.local,
            "api_key_from": self.key_env if self.api_key else None,
        }


def parse_endpoint(
    url: str,
    model: str | None,
    api: str = "auto",
    allow_remote: bool = False,
    key_env: str = DEFAULT_KEY_ENV,
) -> Endpoint:
    if api not in APIS:
        raise InputError(f"--api {api!r}: use one of {', '.join(APIS)}")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"--endpoint {url!r}: give an http:// or https:// URL with a host, "
            "e.g. http://127.0.0.1:8080"
        )
    if parts.username or parts.password:
        raise InputError(
            f"--endpoint: the URL carries credentials; put the key in ${key_env} "
            "instead (it is sent as a bearer token and never recorded)"
        )
    path = parts.path.rstrip("/")
    for suffix, hint in (("/v1", "openai"), ("/api", "ollama")):
        if path.endswith(suffix):
            path = path.removesuffix(suffix)
            api = hint if api == "auto" else api
    local = is_loopback(parts.hostname)
    if not local and not allow_remote:
        raise InputError(
            f"--endpoint {parts.hostname} is not this machine: prompts and task documents "
            "would leave it; add --allow-remote if that is intended"
        )
    base = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return Endpoint(base, api, model, local, key_env, os.environ.get(key_env) or None)


def is_loopback(host: str) -> bool:
    """localhost or a loopback address. Other names are not resolved to decide: a name that
    points at 127.0.0.1 today may not tomorrow, so it counts as remote."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
