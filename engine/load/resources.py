"""Where the shipped rules/, exercises/ and templates/ live, and how a clinic points at its own.

Order: explicit option, then environment variable (REHAB_RULES, REHAB_EXERCISES,
REHAB_TEMPLATES), then the copy inside an installed wheel (``engine/_data``), then the
source checkout (editable installs and running from the repository).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

Kind = Literal["rules", "exercises", "templates"]
_ENV = {"rules": "REHAB_RULES", "exercises": "REHAB_EXERCISES", "templates": "REHAB_TEMPLATES"}


def data_dir(kind: Kind, explicit: Path | str | None = None) -> Path:
    """Return the folder for ``kind``; the explicit path wins, then the environment."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(_ENV[kind])
    if env:
        return Path(env)
    packaged = Path(str(resources.files("engine"))) / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / kind
