"""The ``yiwang`` console command.

yiwang serve [--host H] [--port P]   production server (gunicorn), static files served
yiwang migrate                       apply database migrations
yiwang demo [--no-serve]             migrate, load the demo city, then serve it with a worker
yiwang worker [--batch]              background task worker (also runs the periodic jobs)
yiwang <django command> ...          any Django management command
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def serve(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from yiwang.wsgi import application

    _manage("collectstatic", "--noinput", "--verbosity", "0")

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)

        def load(self) -> Any:
            return application

    print(f"yiwang 正在 http://{host}:{port}/ 提供服务（Ctrl+C 停止）", flush=True)
    Server().run()


@contextmanager
def demo_worker() -> Iterator[subprocess.Popen[bytes]]:
    """The demo's background worker, beside its web server: exports, imports, scheduled
    bulletins and the dashboard's counts run as they would in production. It stops with the
    server (Ctrl+C)."""
    worker = subprocess.Popen([sys.executable, "-m", "yiwang.cli", "worker"])
    print(f"后台任务进程已启动（pid {worker.pid}）", flush=True)
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="yiwang", description="一网统管 城市运行管理服务平台")
    sub = parser.add_subparsers(dest="command")
    p_serve = sub.add_parser("serve", help="启动生产服务器")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--workers", type=int, default=2)
    sub.add_parser("migrate", help="执行数据库迁移")
    p_demo = sub.add_parser("demo", help="载入演示城市并启动服务")
    p_demo.add_argument("--no-serve", action="store_true", help="只载入数据，不启动服务")
    p_demo.add_argument("--host", default="127.0.0.1")
    p_demo.add_argument("--port", type=int, default=8000)
    p_worker = sub.add_parser("worker", help="运行后台任务处理进程")
    p_worker.add_argument("--batch", action="store_true", help="处理完积压任务后退出")

    known = {"serve", "migrate", "demo", "worker", "-h", "--help"}
    if not argv or argv[0] not in known:
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["yiwang", *argv] if argv else ["yiwang", "help"])
        return

    args = parser.parse_args(argv)
    _setup()
    if args.command == "serve":
        serve(args.host, args.port, args.workers)
    elif args.command == "migrate":
        _manage("migrate", "--noinput")
    elif args.command == "demo":
        _manage("migrate", "--noinput", "--verbosity", "1")
        _manage("load_demo")
        if not args.no_serve:
            with demo_worker():
                serve(args.host, args.port, 2)
    elif args.command == "worker":
        from yiwang.core import periodic

        periodic.schedule()  # periodic jobs (expired exports and tokens) run at start, then on time
        _manage("db_worker", *(["--batch"] if args.batch else []))


if __name__ == "__main__":
    main()
