"""Serving: `techreg serve`, and `techreg demo` (demo data loaded, then served).

The listening address is taken before anything else happens, so a second `serve` or `demo` on a port in
use says so at once, before it starts a database or loads demo data.
"""

import contextlib
import datetime as dt
import errno
import io
import json
import signal
import socket
import sys

import click

from ..config import Settings, audit_key
from ..db.pool import connect
from .common import CliError, Db, acting_user, current_settings, main, open_database, os_reason, run, with_connection

HOST_HELP = "监听地址（默认 TECHREG_HOST，即 127.0.0.1）/ address to listen on (default TECHREG_HOST, 127.0.0.1)"
PORT_HELP = "端口（默认 TECHREG_PORT，即 8000；0 为任一空闲端口）/ port (default TECHREG_PORT, 8000; 0: any free port)"


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening, or a clean stop naming the address."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart past TIME_WAIT
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"地址 {host}:{port} 已被占用（techreg 或其他程序已在此运行）：请先停止它，或用 --port 另选端口",
                           f"address {host}:{port} is already in use (techreg or another program runs there):"
                           " stop it, or choose another --port") from None
        if exc.errno == errno.EACCES:
            raise CliError(f"无权监听 {host}:{port}（1024 以下的端口需要特权）：请用 --port 另选端口",
                           f"not allowed to listen on {host}:{port} (ports below 1024 need privileges):"
                           " choose another --port") from None
        raise CliError(f"无法监听 {host}:{port}：{os_reason(exc)[0]}", f"cannot listen on {host}:{port}: {os_reason(exc)[1]}") from None
    except socket.gaierror as exc:
        sock.close()
        raise CliError(f"无法识别地址 {host}：{exc}", f"unknown address {host}: {exc}") from None
    return sock


def _refuse_privileged(db: Db, url: str) -> None:
    """The service must not run as a privileged role (db/roles.py); said here in one line rather than by a
    traceback from the application's start-up."""
    from ..db.roles import excess_privileges

    if db.settings.allow_privileged_database == "yes":
        return
    excess = with_connection(url, excess_privileges)
    if excess:
        raise CliError(f"服务不得以特权身份连接数据库（{', '.join(excess)}）：请以 techreg_app 连接（见 README 部署一节）",
                       f"the service must not connect with privileges ({', '.join(excess)}): connect as techreg_app"
                       " (see README, Deployment)")


def serve_app(db: Db, sock: socket.socket, banner: str = "") -> None:
    settings = db.settings
    url = db.service_url()
    _refuse_privileged(db, url)             # before loading the application: a refusal takes a moment, not a second

    import uvicorn

    from ..web.app import create_app

    # one command on one machine: on the embedded database the jobs run inside the service
    run_jobs = settings.run_jobs == "yes" or (settings.run_jobs == "auto" and settings.database_url is None)
    app = create_app(settings, url, run_jobs=run_jobs)
    host, port = sock.getsockname()[:2]
    click.echo(f"techreg 已启动 / running at http://{host}:{port}  (API docs: http://{host}:{port}/schema)"
               + ("\n  定时任务在本进程运行 / scheduled jobs run in this process" if run_jobs else ""))
    if banner:
        click.echo(banner)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    # uvicorn shuts down on SIGTERM and then raises the signal again with the handler it found: make that a
    # clean exit, so the embedded PostgreSQL is stopped properly on the way out (no recovery on next start)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if not server.started:                       # the application's start-up failed; uvicorn said why
        sys.exit(3)


@main.command()
@click.option("--host", default=None, help=HOST_HELP)
@click.option("--port", type=int, default=None, help=PORT_HELP)
def serve(host: str | None, port: int | None) -> None:
    """启动服务（网页与 API）/ run the web service and API."""
    settings = current_settings()
    with listen(host or settings.host, settings.port if port is None else port) as sock:
        with open_database(settings) as db:
            say_if_shared(db)
            serve_app(db, sock)


def say_if_shared(db: Db) -> None:
    """One line when this service joins a data folder another techreg process already runs (a second demo on another
    port): the same database, its jobs still run once between them."""
    if db.shared:
        click.echo(f"注意：数据目录 {db.settings.data_dir} 的内置数据库已由另一个 techreg 进程运行，本服务与之共用同一数据库"
                   f"（定时任务在两者之间仍只运行一次）/ note: another techreg process already runs the embedded database"
                   f" of {db.settings.data_dir}; this service shares it (each scheduled job still runs once between them)",
                   err=True)


# the password policy refuses a password that contains the username (registry/users.py)
# a display name is the person's name: pages add their role (and the certificate names the registrar by it)
DEMO_USERS = [
    ("admin", "周强", "admin", None, "guanli-demo-2026"),
    ("supervisor", "王敏", "supervisor", None, "jiandu-demo-2026"),
    ("reviewer", "周洁", "supervisor", None, "fuhe-demo-2026"),
    ("registrar1", "李娜", "registrar", "310101", "dengji-demo-2026"),
    ("registrar2", "张伟", "registrar", "310104", "dengji-demo-2026"),
    ("inspector1", "陈刚", "inspector", None, "jiancha-demo-2026"),
    ("inspector2", "刘洋", "inspector", None, "jiancha-demo-2026"),
]
# Who holds a registrar qualification in the demo: the registrars, and one supervisor, the second person who confirms
# what a registrar proposes for registration when it is large or highly flagged (four eyes: the point has one
# registrar each, so without a qualified supervisor nobody could confirm)
DEMO_QUALIFIED = {
    "registrar1": "", "registrar2": "",
    "reviewer": "  ← 持登记员资格，可复核确认大额或高风险登记（四眼）/ holds a registrar qualification: confirms large or"
                " flagged registrations (four eyes)",
}


async def _demo_scan_and_campaign(conn, settings: Settings) -> None:
    """Flags and a first spot-check campaign, so every role has something to work on."""
    from ..audit.schema import CampaignIn
    from ..audit.service import create_campaign
    from ..detection.scan import run_scan

    if await conn.fetchval("SELECT count(*) FROM campaigns"):
        return
    await run_scan(conn, settings, full=True)
    supervisor = await acting_user(conn, "supervisor")
    async with conn.transaction():
        await create_campaign(conn, supervisor, CampaignIn(
            name="2025年度抽查（演示）", registered_from=dt.date(2000, 1, 1),
            registered_to=dt.date(2100, 1, 1), sample_size=30, certainty_cutoff=0.999, control_share=0.2,
            seed="demo-2026"), settings)


async def load_demo(url: str, settings: Settings, n: int) -> str:
    """Migrate, then the demo's points, users, filings, flags and first campaign; returns the logins to print."""
    from ..db.migrate import migrate
    from ..demo import DEMO_POINTS, demo_filings
    from ..registry.rules import office_today
    from ..errors import Conflict
    from ..registry.importer import import_stream
    from ..registry.points import PointIn, create_point
    from ..registry.users import UserIn, create_user

    conn = await connect(url)
    try:
        await migrate(conn, progress=lambda _: None)
        for code, name in DEMO_POINTS:
            with contextlib.suppress(Conflict):
                async with conn.transaction():
                    await create_point(conn, PointIn(code=code, name=name))
        expires = dt.date.today() + dt.timedelta(days=365)
        for username, display, role, point, password in DEMO_USERS:
            with contextlib.suppress(Conflict):
                async with conn.transaction():
                    await create_user(conn, UserIn(username=username, display_name=display, role=role,
                                                   point_code=point, password=password,
                                                   qualification_expires=expires if username in DEMO_QUALIFIED
                                                   else None), actor="demo")
        data = io.BytesIO(b"".join(json.dumps(f, ensure_ascii=False).encode() + b"\n" for f in demo_filings(n, up_to=office_today())))
        await import_stream(conn, data, audit_key(settings), actor="demo", source="demo")
        await _demo_scan_and_campaign(conn, settings)
    finally:
        await conn.close()
    from ..labels import both

    return "\n".join(f"  {both('role', role)}: {username}  密码 / password: {password}{DEMO_QUALIFIED.get(username, '')}"
                     for username, _, role, _, password in DEMO_USERS)


@main.command()
@click.option("--host", default=None, help=HOST_HELP)
@click.option("--port", type=int, default=None, help=PORT_HELP)
@click.option("--filings", type=int, default=3000, show_default=True, help="演示数据条数 / number of demo filings")
def demo(host: str | None, port: int | None, filings: int) -> None:
    """演示：建库、载入演示数据并启动服务 / migrate, load demo data, serve."""
    settings = current_settings()
    with listen(host or settings.host, settings.port if port is None else port) as sock:
        with open_database(settings, schema=False) as db:     # load_demo migrates
            say_if_shared(db)
            logins = run(load_demo(db.url, settings, filings))
            serve_app(db, sock, banner="演示账号 / demo logins:\n" + logins)
