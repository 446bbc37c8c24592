"""``annotator serve``: where it may listen, the command each browser tab runs, and its errors.

The browser itself is exercised in test_web_e2e.py; here the server is faked, except in one
test that starts the real one briefly and checks what a browser (or another site) would get.
"""

from __future__ import annotations

import http.client
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from annotator import serve, sessions
from annotator.cli import UserError, main
from annotator.scheme import Scheme
from annotator.service import Service
from tests.conftest import env_without_user_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class FakeServer:
    """Stands in for textual-serve: records what it was given instead of serving."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.name_in_env: str | None = "unset"

    def make(
        self, command: str, host: str, port: int, public_url: str, shown_db: str, remote: bool
    ) -> FakeServer:
        self.calls.append(
            {
                "command": command,
                "host": host,
                "port": port,
                "public_url": public_url,
                "shown_db": shown_db,
                "remote": remote,
            }
        )
        return self

    def serve(self) -> None:
        import os

        self.name_in_env = os.environ.get("ANNOTATOR_NAME")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    server = FakeServer()
    monkeypatch.setattr(serve, "make_server", server.make)
    return server


# -- where it may listen ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "annotate.example.org"])
def test_non_local_host_is_refused_in_one_line_without_the_flag(
    host: str, fake: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--db", str(tmp_path / "a.db"), "--host", host])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"annotator: error: refusing to serve on {host}: anyone who can reach it could annotate; "
        "keep --host 127.0.0.1 and use SSH port forwarding, or add --allow-remote\n"
    )
    assert fake.calls == []
    assert not (tmp_path / "a.db").exists()  # refused before touching the database


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts_need_no_flag_and_get_no_warning(host: str) -> None:
    assert serve.is_local_host(host)
    assert serve.check_bind(host, allow_remote=False) is None


def test_allow_remote_prints_the_warning_and_serves(
    fake: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)
    monkeypatch.setattr(serve.socket, "gethostname", lambda: "labbox")
    db = tmp_path / "team.db"
    code = main(["serve", "--db", str(db), "--host", "0.0.0.0", "--port", "8123", "--allow-remote"])
    err = capsys.readouterr().err
    assert code == 0
    assert err == (
        "annotator: warning: serving on 0.0.0.0 with no login and no encryption: anyone who can "
        "reach this port can annotate under any name; prefer SSH port forwarding or a reverse "
        "proxy with TLS and authentication\n"
    )
    [call] = fake.calls
    assert (call["host"], call["port"], call["remote"]) == ("0.0.0.0", 8123, True)
    assert call["public_url"] == "http://labbox:8123"  # not http://0.0.0.0, which browsers reject
    assert db.exists()  # created and migrated once at start, not by each tab


def test_default_is_127_0_0_1_port_8000(fake: FakeServer, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)
    assert main(["serve", "--db", str(tmp_path / "a.db")]) == 0
    [call] = fake.calls
    assert (call["host"], call["port"], call["public_url"]) == (
        "127.0.0.1",
        8000,
        "http://127.0.0.1:8000",
    )


def test_port_in_use_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--db", str(tmp_path / "a.db"), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"annotator: error: cannot listen on 127.0.0.1:{port} (")
    assert err.endswith("); choose another --port\n")
    assert err.count("\n") == 1


@pytest.mark.parametrize("port", ["0", "70000"])
def test_impossible_port_is_refused(port: str, tmp_path: Path, capsys: Any) -> None:
    assert main(["serve", "--db", str(tmp_path / "a.db"), "--port", port]) == 2
    assert capsys.readouterr().err == (
        f"annotator: error: --port {port} is not a port; use 1-65535, e.g. 8000\n"
    )


# -- the command each tab runs ------------------------------------------------------------


def test_relative_sqlite_path_is_made_absolute_against_the_serving_directory(
    fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--db", "data/team.db"]) == 2  # the folder does not exist yet
    (tmp_path / "data").mkdir()
    assert main(["serve", "--db", "data/team.db"]) == 0
    [call] = fake.calls
    assert shlex.split(call["command"]) == [
        sys.executable,
        "-m",
        "annotator",
        "annotate",
        "--db",
        f"sqlite:///{tmp_path}/data/team.db",
    ]
    assert call["shown_db"] == f"{tmp_path}/data/team.db"


def test_default_database_comes_from_the_environment_then_annotations_db(tmp_path: Path) -> None:
    assert serve.absolute_db_url(None, tmp_path) == f"sqlite:///{tmp_path}/annotations.db"
    assert serve.absolute_db_url("sqlite:///x.db", tmp_path) == f"sqlite:///{tmp_path}/x.db"
    assert serve.absolute_db_url("sqlite:////srv/x.db", tmp_path) == "sqlite:////srv/x.db"


def test_path_with_spaces_and_quotes_survives_the_shell(tmp_path: Path) -> None:
    url = serve.absolute_db_url("it's a dir/team; rm -rf ~.db", tmp_path)
    command = serve.served_command(url, python="/opt/py thon/bin/python")
    argv = shlex.split(command)
    assert argv[0] == "/opt/py thon/bin/python"
    assert make_url(argv[5]).database == f"{tmp_path}/it's a dir/team; rm -rf ~.db"
    done = subprocess.run(
        ["sh", "-c", f"printf '%s\\n' {command}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == argv


def test_session_is_passed_quoted(tmp_path: Path) -> None:
    command = serve.served_command("sqlite:////srv/a.db", "spring 2024", python="/usr/bin/python3")
    assert shlex.split(command) == [
        "/usr/bin/python3",
        "-m",
        "annotator",
        "annotate",
        "--db",
        "sqlite:////srv/a.db",
        "--session",
        "spring 2024",
    ]


def test_serve_session_reaches_the_command_and_must_exist(
    fake: FakeServer, seeded: Service, scheme: Scheme, db_url: str, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)
    assert main(["serve", "--db", db_url, "--session", "pilot"]) == 2
    assert capsys.readouterr().err == (
        "annotator: error: no session 'pilot'; `annotator session list` shows them\n"
    )
    assert fake.calls == []
    sessions.create(
        seeded,
        "pilot",
        articles="all",
        annotators=["alice", "bob"],
        overlap=2,
        blind=True,
        scheme=scheme,
    )
    assert main(["serve", "--db", db_url, "--session", "pilot"]) == 0
    assert shlex.split(fake.calls[0]["command"])[-4:] == ["--db", db_url, "--session", "pilot"]


def test_postgres_url_is_kept_but_its_password_never_shown(
    fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_check_database", lambda url, session: None)  # no server
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)
    url = "postgresql+psycopg://ann:s3cret@db.lab/annotations"
    assert main(["serve", "--db", url]) == 0
    [call] = fake.calls
    assert shlex.split(call["command"])[-1] == url
    assert call["shown_db"] == "postgresql+psycopg://ann:***@db.lab/annotations"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", ":memory:"])
def test_in_memory_database_is_refused(url: str) -> None:
    with pytest.raises(UserError, match="an in-memory database cannot be shared by browser tabs"):
        serve.absolute_db_url(url)


def test_each_tab_asks_its_own_name_even_if_the_server_has_one(
    fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)
    monkeypatch.setenv("ANNOTATOR_NAME", "alice")
    assert main(["serve", "--db", str(tmp_path / "a.db")]) == 0
    assert fake.name_in_env is None


# -- without the web extra ----------------------------------------------------------------


def test_missing_web_extra_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # makes `import` raise ImportError
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert main(["serve", "--db", str(tmp_path / "a.db")]) == 2
    assert capsys.readouterr().err == (
        "annotator: error: install the web extra: pip install 'annotator[web]'\n"
    )
    with pytest.raises(UserError, match=r"^install the web extra: pip install 'annotator\[web\]'$"):
        serve.make_server("true", "127.0.0.1", 8000, "http://127.0.0.1:8000", "a.db", False)


# -- which pages may open the websocket -----------------------------------------------------


def test_only_the_served_page_may_open_the_websocket() -> None:
    allowed = serve.allowed_origins("http://127.0.0.1:8000", "127.0.0.1", 8000)
    assert allowed == {"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}
    ok = serve.origin_allowed
    assert ok("http://localhost:8000", "127.0.0.1:8000", allowed, remote=False)
    assert ok(None, "127.0.0.1:8000", allowed, remote=False)  # not a browser
    assert not ok("https://evil.example", "127.0.0.1:8000", allowed, remote=False)
    assert not ok("http://localhost:9000", "127.0.0.1:8000", allowed, remote=False)
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, Host and Origin agree.
    assert not ok("http://evil.example:8000", "evil.example:8000", allowed, remote=False)


def test_behind_a_proxy_the_public_origin_is_allowed() -> None:
    allowed = serve.allowed_origins("https://Annotate.Example.org/", "127.0.0.1", 8000)
    assert "https://annotate.example.org" in allowed
    assert serve.origin_allowed("https://annotate.example.org", "x", allowed, remote=False)
    remote = serve.allowed_origins("http://labbox:8000", "0.0.0.0", 8000)
    assert remote == {"http://labbox:8000"}
    assert serve.origin_allowed("http://10.0.0.5:8000", "10.0.0.5:8000", remote, remote=True)
    assert not serve.origin_allowed("http://evil.example", "10.0.0.5:8000", remote, remote=True)


# -- the real server, briefly ---------------------------------------------------------------


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "annotator", "serve", "--db", "team.db", "--port", str(port)],
            cwd=tmp_path,
            env=env_without_user_settings(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while "serving" not in log.read_text(encoding="utf-8"):
            assert server.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.request("GET", path, headers=headers or {})
        response = con.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        con.close()


def test_real_server_page_names_no_database_and_refuses_other_sites(
    real_server: tuple[int, Path], tmp_path: Path
) -> None:
    port, log = real_server
    assert log.read_text(encoding="utf-8").splitlines()[0] == (
        f"annotator: serving {tmp_path}/team.db on http://127.0.0.1:{port} (Ctrl+C stops)"
    )
    status, page = _get(port, "/")
    assert status == 200
    assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
    assert "<div>annotator</div>" in page
    assert "team.db" not in page and "sqlite" not in page  # the command is not on the page
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    status, _ = _get(port, "/ws", {**upgrade, "Origin": "https://evil.example"})
    assert status == 403
