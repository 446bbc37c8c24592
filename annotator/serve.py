"""``annotator serve``: the annotation app in a web browser, one app per browser tab.

Built on textual-serve (the optional ``annotator[web]`` extra): every websocket connection
starts its own ``annotator annotate`` process, so each tab asks for its annotator's name and
then behaves exactly as in a terminal. There is no authentication and no encryption, so the
server binds to 127.0.0.1 unless ``--allow-remote`` is given; reach it from elsewhere through
SSH port forwarding or a reverse proxy that adds TLS and a login.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MISSING_EXTRA = "install the web extra: pip install 'annotator[web]'"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def is_local_host(host: str) -> bool:
    """True when ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool) -> str | None:
    """Decide whether serving on ``host`` is allowed; return a warning to print, or None.

    A non-local host without ``allow_remote`` raises :class:`annotator.cli.UserError`.
    """
    from annotator.cli import UserError

    if is_local_host(host):
        return None
    shown = host or "every address"
    if not allow_remote:
        raise UserError(
            f"refusing to serve on {shown}: anyone who can reach it could annotate; keep "
            "--host 127.0.0.1 and use SSH port forwarding, or add --allow-remote"
        )
    return (
        f"annotator: warning: serving on {shown} with no login and no encryption: anyone who "
        "can reach this port can annotate under any name; prefer SSH port forwarding or a "
        "reverse proxy with TLS and authentication"
    )


def absolute_db_url(url: str | None, cwd: Path | None = None) -> str:
    """The database URL with a relative SQLite path made absolute against ``cwd``.

    ``url`` is resolved as every command does (the argument, else ``$ANNOTATOR_DB``, else
    ``annotations.db``). An in-memory database is refused: browser tabs could not share it.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from annotator.cli import UserError
    from annotator.store.engine import resolve_url

    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except (ArgumentError, ValueError):
        raise UserError(
            f"database URL {resolved!r} is not valid; use sqlite:///FILE or "
            "postgresql+psycopg://USER@HOST/DB"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        return resolved
    database = parsed.database or ""
    prefix = ""
    if str(parsed.query.get("uri", "")).lower() in {"true", "1"} and database.startswith("file:"):
        prefix, database = "file:", database.removeprefix("file:")
    if database in {"", ":memory:"} or "mode=memory" in str(parsed.query.get("mode", "")):
        raise UserError(
            "an in-memory database cannot be shared by browser tabs; pass a file with --db"
        )
    if database.startswith("//"):  # file://HOST/PATH: already absolute
        return resolved
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return parsed.set(database=prefix + str(path)).render_as_string(hide_password=False)


def served_command(db_url: str, session: str | None = None, *, python: str | None = None) -> str:
    """The shell command textual-serve runs for each browser tab (every part quoted)."""
    parts = [python or sys.executable, "-m", "annotator", "annotate", "--db", db_url]
    if session:
        parts += ["--session", session]
    return shlex.join(parts)


def public_url_for(host: str, port: int) -> str:
    """The address browsers are told to use when ``--public-url`` is not given."""
    name = socket.gethostname() if host in WILDCARD_HOSTS else host
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    return f"http://{name}:{port}"


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lowercased, default ports left out."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(public_url: str, host: str, port: int) -> frozenset[str]:
    """Browser origins whose pages may open the app's websocket.

    The public URL, and for a loopback bind the loopback names on the served port (a page
    opened as ``localhost`` talks to ``127.0.0.1``). This stops any other web page open in a
    team member's browser from driving the app through ``ws://127.0.0.1:PORT``.
    """
    found = {_origin(public_url)}
    if is_local_host(host):
        found |= {_origin(f"http://{name}:{port}") for name in LOOPBACK_NAMES}
    return frozenset(found)


def origin_allowed(
    origin: str | None, host_header: str | None, allowed: frozenset[str], remote: bool
) -> bool:
    """May a websocket request with this ``Origin`` (and ``Host``) header start an app?

    No Origin means no browser (nothing a web page can forge). With ``--allow-remote`` a page
    served from the address the request came to is accepted as well.
    """
    if origin is None:
        return True
    if _origin(origin) in allowed:
        return True
    if remote and host_header:
        return _origin(origin).split("://", 1)[-1] == host_header.strip().lower()
    return False


def _check_port_free(host: str, port: int) -> None:
    """Refuse with one line when the address is taken (before textual-serve prints a banner)."""
    from annotator.cli import UserError

    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UserError(f"cannot serve on {host}: {exc.strerror or exc}; check --host") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UserError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port"
            ) from None


def make_server(
    command: str, host: str, port: int, public_url: str, shown_db: str, remote: bool
) -> Any:
    """A textual-serve ``Server`` that checks websocket origins and names the database
    without its password. Raises :class:`annotator.cli.UserError` without the web extra."""
    from annotator.cli import UserError

    try:
        from aiohttp import web
        from textual_serve.server import Server
    except ImportError:
        raise UserError(MISSING_EXTRA) from None

    origins = allowed_origins(public_url, host, port)

    class AnnotatorServer(Server):
        """textual-serve, plus an Origin check on the websocket."""

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """Refuse websockets opened by pages from other sites."""
            origin = request.headers.get("Origin")
            if not origin_allowed(origin, request.headers.get("Host"), origins, remote):
                print(f"annotator: refused a websocket from {origin}", file=sys.stderr)
                raise web.HTTPForbidden(text=f"origin {origin} may not use this server")
            return await super().handle_websocket(request)

        async def on_startup(self, app: web.Application) -> None:
            """Say where to point browsers (without textual-serve's banner)."""
            print(f"annotator: serving {shown_db} on {self.public_url} (Ctrl+C stops)", flush=True)

    # The title is shown on the page: never the command, which holds the database URL.
    return AnnotatorServer(command, host=host, port=port, title="annotator", public_url=public_url)


def _check_database(url: str, session: str | None) -> None:
    """Open the database once before serving: a bad URL or an unknown session is one clear
    error now rather than a blank page in every tab, and migrations run once, not per tab."""
    from annotator import sessions
    from annotator.service import Service

    service = Service.open(url)
    try:
        if session:
            sessions.session_scheme(service, session)  # ServiceError: no such session
    finally:
        service.close()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the annotation app to browsers until Ctrl+C."""
    from sqlalchemy.engine import make_url

    from annotator.cli import UserError
    from annotator.store.engine import database_name

    if not 1 <= args.port <= 65535:
        raise UserError(f"--port {args.port} is not a port; use 1-65535, e.g. 8000")
    warning = check_bind(args.host, args.allow_remote)
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise UserError(MISSING_EXTRA) from None
    url = absolute_db_url(args.db)
    _check_database(url, args.session)
    if warning:
        print(warning, file=sys.stderr)
    public_url = args.public_url or public_url_for(args.host, args.port)
    if not urlsplit(public_url).scheme.startswith("http") or not urlsplit(public_url).hostname:
        raise UserError(f"--public-url {public_url!r} is not an http(s) URL")
    _check_port_free(args.host, args.port)
    # Every tab must ask for its own name: the server's $ANNOTATOR_NAME must not leak into them.
    os.environ.pop("ANNOTATOR_NAME", None)
    shown = database_name(make_url(url))
    server = make_server(
        served_command(url, args.session),
        args.host,
        args.port,
        public_url,
        shown,
        args.allow_remote,
    )
    server.serve()
    return 0


def register(sub: Any) -> None:
    """Add ``serve`` to the command line."""
    from annotator.cli import add_db_option

    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="serve the annotation app to web browsers (needs annotator[web])",
        description="Serve the annotation app to web browsers: each tab runs its own app and "
        "asks for the annotator's name. No login, no TLS: keep it on 127.0.0.1 and use SSH "
        "port forwarding or a reverse proxy with authentication.",
    )
    p.set_defaults(handler=cmd_serve)
    add_db_option(p)
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8000)")
    p.add_argument("--session", metavar="NAME", help="annotate within this session")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-local --host: anyone who can reach the port can annotate",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, e.g. https://annotate.example.org behind a reverse "
        "proxy (default http://HOST:PORT)",
    )
