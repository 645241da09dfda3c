"""Step-wise migrations between profile format versions.

``MIGRATIONS[n]`` turns a version-``n`` profile into version ``n + 1``; a profile is brought
up to the current version one step at a time, so each step stays small and testable.
Version 1 is the first format: there is nothing to migrate yet. A profile from a *newer*
sizer is refused (its fields may mean something this version does not know).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sizer.profiles.format import FORMAT_VERSION

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


class VersionProblem(ValueError):
    pass


def to_current(profile: dict[str, Any], current: int = FORMAT_VERSION) -> dict[str, Any]:
    version = profile.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise VersionProblem(f"format_version {version!r} is not a version number")
    if version > current:
        raise VersionProblem(
            f"format_version {version} was written by a newer sizer (this one reads up to "
            f"{current}); upgrade sizer to read it"
        )
    while version < current:
        step = MIGRATIONS.get(version)
        if step is None:
            raise VersionProblem(f"no migration from format_version {version} to {version + 1}")
        profile = step(dict(profile))
        version += 1
        profile["format_version"] = version
    return profile
