"""``rehab serve``: check the address, build the app, run uvicorn (one worker) on a bound socket."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path

from engine.errors import InputError

TOKEN_ENV = "REHAB_SERVE_TOKEN"  # noqa: S105 (a variable name)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_address(host: str, allow_remote: bool, token: str | None) -> None:
    """Refuse a non-loopback address unless --allow-remote and a token are both given.

    Raises:
        InputError: the address is not allowed (exit 2).
    """
    if is_loopback(host):
        return
    if not allow_remote:
        raise InputError.at(
            "--host",
            f"'{host}' is reachable from other machines; the desk holds patient data",
            hint="add --allow-remote and --token (or REHAB_SERVE_TOKEN) if you really mean it",
        )
    if not token or len(token) < 16:
        raise InputError.at(
            "--token", "a remote desk needs an access token of at least 16 characters (--token or REHAB_SERVE_TOKEN)"
        )


def serve(
    clinic: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    allow_remote: bool = False,
    token: str | None = None,
    rules: Path | None = None,
    exercises: Path | None = None,
    templates: Path | None = None,
    paper: str = "a4",
) -> None:
    """Serve the desk over ``clinic`` until Ctrl-C."""
    token = token or os.environ.get(TOKEN_ENV) or None
    check_address(host, allow_remote, token)
    if not clinic.is_dir():
        raise InputError.at(str(clinic), "clinic folder not found", hint="create it first (mkdir)")
    import uvicorn

    from engine.web import create_app

    remote = not is_loopback(host)
    hosts = ("*",) if remote else ("127.0.0.1", "localhost", "[::1]", "::1")
    app = create_app(
        clinic,
        rules=rules,
        exercises=exercises,
        templates=templates,
        paper=paper,
        token=token if remote else None,
        hosts=hosts,
    )
    app.state.desk.engine.content()  # load the content once, before the first request
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise InputError.at(
            f"{host}:{port}", f"cannot listen there: {exc.strerror}", hint="try another --port"
        ) from None
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    print(f"rehab desk for {clinic}: http://{shown}:{bound}/  (Ctrl-C stops it)", flush=True)
    if remote:
        print(f"remote access: open http://<this machine>:{bound}/?token=<your token> once", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, server_header=False, lifespan="off", workers=1
    )  # no access log: URLs name clients
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    sys.stdout.flush()
