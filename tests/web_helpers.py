"""Helpers shared by the web desk tests (TestClient, live server, seed form data)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ERROR_RE = re.compile(r'<p class="field-error"[^>]*>([^<]*)</p>')


def client_for(clinic: Path, **kwargs: Any) -> Any:
    """A TestClient on 127.0.0.1 (the Host the desk allows)."""
    from fastapi.testclient import TestClient

    from engine.web import create_app

    return TestClient(create_app(clinic, **kwargs), base_url="http://127.0.0.1")


def token(tc: Any) -> str:
    """The CSRF token of the client's cookie jar (read from a page)."""
    m = TOKEN_RE.search(tc.get("/").text)
    assert m, "no csrf token on the clients page"
    return m.group(1)


def seed_form() -> dict[str, str]:
    """The seed assessment as the form would post it."""
    from engine.load import yamlio
    from engine.web import forms

    data, _ = yamlio.read(SEED)
    return forms.values_from_assessment(data)


def feedback_form(page: str, day: dt.date | None = None, **each: str) -> dict[str, str]:
    """A complete feedback form for a review page (every exercise row, every flag answered)."""
    from engine.models.assessment import RED_FLAGS

    values = {"completed": "yes", "pain_during": "1", "pain_next_morning": "0", "control": "good", **each}
    out = {"reported_on": (day or dt.date.today()).isoformat()}
    for name in sorted(set(re.findall(r'name="(exercises\[\d+\]\.[a-z_]+)"', page))):
        out[name] = values[name.split(".")[1]]
    for flag in RED_FLAGS:
        out[f"new_red_flags.{flag}"] = "no"
    return out


def new_client(tc: Any, name: str = "Zoë Ångström-Łukasiewicz", client_id: str = "C-0042") -> str:
    """Create a client through the form; return its folder."""
    r = tc.post(
        "/clients", data={"csrf_token": token(tc), "client.name": name, "client.id": client_id}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).split("/")[2]


def clinic_with_content(tmp: Path) -> Path:
    """A clinic folder with its own copies of the shipped rules and exercises (editable)."""
    clinic = tmp / "clinic"
    clinic.mkdir()
    shutil.copytree(ROOT / "rules", clinic / "rules")
    shutil.copytree(ROOT / "exercises", clinic / "exercises")
    return clinic


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """uvicorn in a daemon thread on a socket bound to a free loopback port."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def replay_review(tmp_path: Path, folder: str, *args: str) -> Any:
    """Copy visit 1's plan and visit 2's feedback and overrides out of the web desk's client folder
    and run `rehab progress` on them with ``args``: what the CLI makes of the same files."""
    from tests.conftest import rehab

    replay = tmp_path / "replay"
    replay.mkdir()
    for name in ("001-plan.json", "002-feedback.yaml", "002-overrides.yaml"):
        (replay / name).write_bytes((tmp_path / folder / name).read_bytes())
    fixed = [
        str(replay / "001-plan.json"),
        str(replay / "002-feedback.yaml"),
        "--overrides",
        str(replay / "002-overrides.yaml"),
    ]
    return rehab("progress", *fixed, *(a.replace("{replay}", str(replay)) for a in args))
