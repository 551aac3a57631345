"""The real `intake-bot` commands on a fresh data directory: migrate, load the demo, serve /healthz."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent / "intake-bot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_", "DATABASE_URL"))}
    env["DATA_DIR"] = str(tmp_path / "var")
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(BIN), *args], check=False, env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fresh_setup_serves_health_with_migrated_database(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert "database at head" in _run(["db", "upgrade"], env, tmp_path)
    assert "created" in _run(["demo", "load"], env, tmp_path)
    assert "already there" in _run(["demo", "load"], env, tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = _wait_for_health(port)
        assert body["status"] == "ok" and body["database"] == "ok"
        assert body["outbox_backlog"] == 0
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in out


def _wait_for_health(port: int) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                assert resp.status == 200
                return dict(json.load(resp))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_bad_configuration_fails_fast_with_the_variable_named(tmp_path: Path) -> None:
    env = _env(tmp_path) | {"OUTBOX_MAX_ATTEMPTS": "lots"}
    done = subprocess.run(
        [str(BIN), "db", "upgrade"],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "OUTBOX_MAX_ATTEMPTS" in done.stderr


def test_health_reports_an_unreachable_database() -> None:
    from intake.bootstrap import build_container
    from intake.config import load_settings
    from webhooks import create_app

    # Nothing listens on port 1 of loopback: the connection is refused at once.
    settings = load_settings({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, env_file=None)
    container = build_container(settings)
    response = create_app(container).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable", "error": "OperationalError"}
    container.close()
