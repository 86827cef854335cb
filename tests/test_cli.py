"""The `yiwang` command as an operator uses it: migrate, then serve with static files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

YIWANG = str(Path(sys.executable).with_name("yiwang"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_", "DJANGO_"))}
    env["YIWANG_VAR_DIR"] = str(var_dir)
    return env


def test_migrate_then_serve_pages_and_static_files(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrate = subprocess.run(
        [YIWANG, "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr
    # Local use: a secret key was generated and kept beside the database.
    assert (tmp_path / "secret_key").stat().st_size > 30
    assert (tmp_path / "yiwang.sqlite3").exists()

    port = _free_port()
    server = subprocess.Popen(
        [YIWANG, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=5) as page:
                    html = page.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert "登录" in html
        with urllib.request.urlopen(f"{base}/static/vendor/htmx.min.js", timeout=5) as js:
            assert js.status == 200
            assert b"htmx" in js.read()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_production_configuration_without_secret_key_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["YIWANG_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/not_used"
    result = subprocess.run([YIWANG, "check"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "YIWANG_SECRET_KEY" in result.stderr


def _settings(env: dict[str, str], *names: str) -> list[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='yiwang.settings'; "
        "django.setup(); from django.conf import settings; "
        f"print(*[getattr(settings, n) for n in {list(names)!r}])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_production_configuration_sends_cookies_over_https_only(tmp_path: Path) -> None:
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "DEBUG")
    env = _env(tmp_path)
    env["YIWANG_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:5432/not_used"
    env["YIWANG_SECRET_KEY"] = "a-production-secret-of-enough-length-0123456789"
    assert _settings(env, *names) == ["True", "True", "True", "False"]
    # The local demo on http://127.0.0.1 keeps plain cookies, or nobody could sign in.
    assert _settings(_env(tmp_path), *names) == ["False", "False", "True", "False"]


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    env = _env(tmp_path)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='yiwang.settings'; "
        "django.setup(); from django.db import connection; c=connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    mode, timeout = out.stdout.split()
    assert mode == "wal"
    assert int(timeout) >= 5000


def test_two_writers_on_sqlite_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    """A web process and the worker both read-then-write: with IMMEDIATE transactions the
    second waits for the first and sees its write; with SQLite's default it would fail
    with "database is locked" or lose an update."""
    env = _env(tmp_path)
    code = """
import os, threading, time
os.environ['DJANGO_SETTINGS_MODULE'] = 'yiwang.settings'
import django; django.setup()
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute('CREATE TABLE counter (n integer)'); c.execute('INSERT INTO counter VALUES (0)')
connection.close()
errors, barrier = [], threading.Barrier(2)
def bump():
    try:
        barrier.wait()
        with transaction.atomic(), connection.cursor() as c:
            c.execute('SELECT n FROM counter'); n = c.fetchone()[0]
            time.sleep(0.3)
            c.execute('UPDATE counter SET n = %s', [n + 1])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()
threads = [threading.Thread(target=bump) for _ in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
with connection.cursor() as c:
    c.execute('SELECT n FROM counter'); print(c.fetchone()[0], errors)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2 []"


def test_worker_runs_the_queue_and_exits_in_batch_mode(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrate = subprocess.run(
        [YIWANG, "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr
    worker = subprocess.run(
        [YIWANG, "worker", "--batch"], env=env, capture_output=True, text=True, timeout=120
    )
    assert worker.returncode == 0, worker.stderr


@pytest.mark.django_db(transaction=True)
def test_the_demo_serves_with_a_worker_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`yiwang demo` runs the background worker with its server, so exports, imports and the
    scheduled jobs work in the demo; the worker stops with the server."""
    from django.db import connection
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from yiwang.cli import demo_worker

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgresql://{db['USER']}@{host}/{db['NAME']}"
    monkeypatch.setenv("YIWANG_DATABASE_URL", url)
    monkeypatch.setenv("YIWANG_SECRET_KEY", "test-only-not-a-secret")
    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    with demo_worker() as worker:
        # At start the worker queues every periodic job and runs them.
        deadline = time.monotonic() + 90
        while not done.exists() and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker stopped"
            time.sleep(0.5)
        assert done.exists()
        assert worker.poll() is None
    assert worker.returncode is not None
