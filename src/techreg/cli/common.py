"""What every command shares: the root group, the one error style, and the database a command works on.

Errors: every failure a person reads is one message on stderr, Chinese first and English second, with a
non-zero exit and no traceback (`CliError`; the root group turns domain errors, the embedded server's
errors and unwritable files into one). Database: `with_database` opens it for a command (the embedded
server started and stopped again when no TECHREG_DATABASE_URL is set, the schema checked, or created on
a fresh embedded database) and hands the command a `Db`.
"""

import asyncio
import contextlib
import errno
import functools
import getpass
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import click
import msgspec

from ..config import Settings, load_settings
from ..db.embedded import EmbeddedPostgres, EmbeddedServerError
from ..db.migrate import applied_versions, migrate, pending
from ..db.pool import connect
from ..errors import DomainError

HELP_OPTION_HELP = "显示本帮助并退出 / show this help and exit"


# -- the one error style ------------------------------------------------------------------------------

class CliError(click.ClickException):
    """A failure the command reports: one message on stderr, Chinese first, English second; exit 1."""

    def __init__(self, message: str, message_en: str | None = None, *, exit_code: int = 1):
        super().__init__(f"{message} / {message_en}" if message_en else message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"错误 / error: {self.message}", err=True)


class UsageProblem(click.UsageError):
    """Click's own complaint about the command line (missing option, bad value), in the same style."""

    def show(self, file=None) -> None:
        if self.ctx is not None:
            click.echo(self.ctx.get_usage(), err=True)
            click.echo(f"帮助 / help: {self.ctx.command_path} --help", err=True)
        click.echo(f"错误 / error: 命令行参数有误 / invalid command line: {self.message}", err=True)


class Day(click.DateTime):
    """A day on the command line (YYYY-MM-DD): shown so in the help, a bad one said in both languages. The value
    is a datetime at midnight, as click.DateTime gives it."""

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"“{value}”不是有效日期，应写作 YYYY-MM-DD，如 2026-01-31 / {value!r} is not a valid date:"
                      " write YYYY-MM-DD, e.g. 2026-01-31", param, ctx)


class ExistingFile(click.Path):
    """A file the command reads: one that is missing, a folder or unreadable is one line in both languages."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        path = Path(value)
        if not path.exists():
            raise CliError(f"文件 {value} 不存在，请检查路径", f"the file {value} does not exist: check the path")
        if path.is_dir():
            raise CliError(f"{value} 是目录，不是文件", f"{value} is a folder, not a file")
        if not os.access(path, os.R_OK):
            raise CliError(f"无法读取文件 {value}（没有读取权限）", f"cannot read {value} (no permission)")
        return super().convert(value, param, ctx)


def os_user() -> str:
    """Who runs the command, as the system knows them: the actor of what a command records without --by."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):          # no login name and no passwd entry (a bare container)
        return f"uid-{os.getuid()}"


def cli_actor() -> str:
    """Who changes an account from the command line, as its record names them: cli:<os user>."""
    return f"cli:{os_user()}"


# the system's reason for a file it refused, in both languages (its own strerror is English only)
_OS_REASONS = {errno.ENOENT: ("目录或文件不存在", "no such folder or file"),
               errno.ENOTDIR: ("路径中有一段不是目录", "a part of the path is not a folder"),
               errno.EISDIR: ("这是一个目录", "it is a folder"),
               errno.EACCES: ("没有权限", "permission denied"), errno.EPERM: ("没有权限", "permission denied"),
               errno.EROFS: ("只读文件系统", "read-only file system"), errno.ENOSPC: ("磁盘空间已满", "no space left")}


def os_reason(exc: OSError) -> tuple[str, str]:
    """Why the system refused, Chinese and English."""
    return _OS_REASONS.get(exc.errno, (exc.strerror or str(exc), exc.strerror or str(exc)))


def _unwritable(exc: OSError) -> CliError:
    where = exc.filename or "?"
    zh, en = os_reason(exc)
    return CliError(f"无法写入 {where}（{zh}）：请检查目录权限，或用 --data-dir / TECHREG_DATA_DIR 另选数据目录",
                    f"cannot write {where} ({en}): check the folder's permissions, or choose another data"
                    " folder with --data-dir / TECHREG_DATA_DIR")


def _unopenable(exc: OSError) -> CliError:
    """A file named on the command line (an export's -o, say) that cannot be opened: which, and why."""
    zh, en = os_reason(exc)
    return CliError(f"无法打开文件 {exc.filename}（{zh}），请检查路径", f"cannot open {exc.filename} ({en}): check the path")


# Click's reasons for a bad value (its types' own checks), said in Chinese too: (its sentence, Chinese, English)
_CLICK_REASONS = [
    (re.compile(r"(?:File|Directory|Path) '(?P<x>.+)' is a directory\.$"), "{x} 是目录，不是文件",
     "{x} is a folder, not a file"),
    (re.compile(r"(?:File|Directory|Path) '(?P<x>.+)' is a file\.$"), "{x} 是文件，不是目录", "{x} is a file, not a folder"),
    (re.compile(r"(?:File|Directory|Path) '(?P<x>.+)' does not exist\.$"), "{x} 不存在", "{x} does not exist"),
    (re.compile(r"(?:File|Directory|Path) '(?P<x>.+)' is not writable\.$"), "{x} 不可写入", "{x} cannot be written"),
    (re.compile(r"(?:File|Directory|Path) '(?P<x>.+)' is not readable\.$"), "{x} 不可读取", "{x} cannot be read"),
    (re.compile(r"'(?P<x>.*)' is not a valid integer\.$"), "“{x}”不是整数", "'{x}' is not a whole number"),
    (re.compile(r"'(?P<x>.*)' is not a valid float\.$"), "“{x}”不是数字", "'{x}' is not a number"),
    (re.compile(r"'(?P<x>.*)' is not one of (?P<c>.+)\.$"), "“{x}”不是可选值（{c}）之一", "'{x}' is not one of {c}"),
    (re.compile(r"'(?P<x>.*)' is not a valid boolean\.$"), "“{x}”不是是/否（yes/no）", "'{x}' is not yes or no"),
]


def _bad_value(exc: click.BadParameter) -> str:
    """Click's "Invalid value for '--on': …" with its lead-in, and its reason where Click gave one we know, in both
    languages."""
    hint = exc.param_hint or (exc.param.get_error_hint(exc.ctx) if exc.param is not None else None)
    reason = exc.message
    for sentence, zh, en in _CLICK_REASONS:
        if found := sentence.match(exc.message):
            reason = f"{zh.format(**found.groupdict())} / {en.format(**found.groupdict())}"
            break
    if hint is None:
        return f"取值无效 / invalid value: {reason}"
    hint = " / ".join(hint) if isinstance(hint, (list, tuple)) else hint
    return f"{hint} 的取值无效 / invalid value for {hint}: {reason}"


def _hint(exc: click.UsageError) -> str:
    """How the command line names the parameter a complaint is about: '--point', 'USERNAME'."""
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None) or (param.get_error_hint(exc.ctx) if param is not None else "")
    return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)


# Click's own complaints without a class of their own (ctx.fail with an English sentence): (its sentence,
# Chinese, English), the Chinese first as everywhere else
_CLICK_SENTENCES = [
    (re.compile(r"No such command '(?P<x>.+)'\.$"), "没有“{x}”这个命令（可用的命令见 --help）",
     "no such command '{x}' (see --help for the commands)"),
    (re.compile(r"Got unexpected extra arguments? \((?P<x>.+)\)$"), "多余的参数：{x}", "unexpected extra argument(s): {x}"),
    (re.compile(r"Missing command\.$"), "缺少子命令（可用的命令见 --help）", "missing command (see --help)"),
    (re.compile(r"Option '(?P<x>.+)' requires an argument\.$"), "选项 {x} 后面需要给出一个值",
     "option {x} needs a value after it"),
    (re.compile(r"Option '(?P<x>.+)' does not take a value\.$"), "选项 {x} 不带值", "option {x} takes no value"),
    (re.compile(r"Argument '(?P<x>.+)' takes (?P<n>\d+) values\.$"), "参数 {x} 需要 {n} 个值",
     "argument {x} takes {n} values"),
]


def usage_message(exc: click.UsageError) -> str:
    """Click's complaint about the command line in both languages, Chinese first."""
    if isinstance(exc, click.MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "")
        what = {"argument": ("参数", "argument"), "option": ("选项", "option")}.get(kind, ("参数", "parameter"))
        return f"缺少{what[0]} {_hint(exc)} / missing {what[1]} {_hint(exc)}"
    if isinstance(exc, click.NoSuchOption):
        near = sorted(exc.possibilities or [])
        zh = f"（是否要用 {'、'.join(near)}？）" if near else "（可用的选项见 --help）"
        en = f" (did you mean {', '.join(near)}?)" if near else " (see --help for the options)"
        return f"没有 {exc.option_name} 这个选项{zh} / no such option: {exc.option_name}{en}"
    if isinstance(exc, click.BadParameter):
        return _bad_value(exc)
    for sentence, zh, en in _CLICK_SENTENCES:
        if found := sentence.match(exc.message):
            return f"{zh.format(**found.groupdict())} / {en.format(**found.groupdict())}"
    return exc.format_message()


def as_cli_error(exc: Exception) -> click.ClickException | None:
    """The message a person reads for an error raised under a command; None for a bug (keep the traceback)."""
    if isinstance(exc, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        return exc                               # a group called bare: its help, as click shows it
    if isinstance(exc, click.UsageError) and not isinstance(exc, UsageProblem):
        problem = UsageProblem(usage_message(exc), exc.ctx)
        problem.exit_code = exc.exit_code
        return problem
    if isinstance(exc, click.ClickException):
        return exc
    if isinstance(exc, DomainError):
        return CliError(exc.message, exc.message_en)
    if isinstance(exc, EmbeddedServerError):
        return CliError("内置数据库出错", str(exc))
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.ENOSPC)):
        return _unwritable(exc)
    if isinstance(exc, (FileNotFoundError, NotADirectoryError, IsADirectoryError)) and exc.filename:
        return _unopenable(exc)
    return None


class _BilingualHelp:
    """--help explained like every other option."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option


class TechregCommand(_BilingualHelp, click.Command):
    pass


class TechregGroup(_BilingualHelp, click.Group):
    """Subcommands and subgroups of their own kind; the root turns what its commands raise into one style."""

    command_class = TechregCommand
    group_class = type  # subgroups are TechregGroups too

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:          # the root's own options; a subcommand's come through invoke
            if parent is not None:
                raise
            raise as_cli_error(exc) from None

    def invoke(self, ctx: click.Context):
        if ctx.parent is not None:
            return super().invoke(ctx)
        try:
            return super().invoke(ctx)
        except Exception as exc:
            problem = as_cli_error(exc)
            if problem is None or problem is exc:
                raise
            raise problem from None


# wide enough that a command's summary (Chinese / English) is not cut off with "..." in its group's list
@click.group(cls=TechregGroup, context_settings={"max_content_width": 160, "terminal_width": 160})
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="数据目录（默认 TECHREG_DATA_DIR 或 ./var）/ data folder (default TECHREG_DATA_DIR, or ./var)")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """techreg 技术合同登记与稽查 — registry and audit of technology contracts."""
    try:
        ctx.obj = {"settings": load_settings(data_dir=data_dir)}
    except ValueError as exc:                    # a TECHREG_* variable that does not parse
        raise CliError(f"环境变量 TECHREG_* 设置有误：{exc}", f"a TECHREG_* setting does not parse: {exc}") from None


def current_settings() -> Settings:
    return click.get_current_context().find_root().obj["settings"]


def run(coro):
    return asyncio.run(coro)


def with_connection(url: str, work, *, transaction: bool = False):
    """Run `work(conn)` on one connection to `url` (in one transaction if asked), closing it afterwards."""
    async def go():
        conn = await _connect(url)
        try:
            if transaction:
                async with conn.transaction():
                    return await work(conn)
            return await work(conn)
        finally:
            await conn.close()
    return run(go())


async def _connect(url: str):
    try:
        return await connect(url)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        parts = urlsplit(url)                    # never the password
        where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
        raise CliError(f"无法连接数据库 {where}：{exc}", f"cannot connect to the database at {where}: {exc}") from None


# -- the database a command works on ------------------------------------------------------------------

class Db:
    """The database a command was given: its URL (the owner's on the embedded server) and the settings."""

    def __init__(self, settings: Settings, url: str, *, shared: bool = False):
        self.settings = settings
        self.url = url
        self.shared = shared        # the data folder's embedded server was already running: another process's too

    def run(self, work, *, transaction: bool = False):
        """`work(conn)` on one connection, in one transaction if asked."""
        return with_connection(self.url, work, transaction=transaction)

    def service_url(self) -> str:
        return service_url(self.settings, self.url)


def _require_writable(folder: Path) -> None:
    """The embedded server and the audit key live in the data folder: say so at once when it cannot be written."""
    existing = folder.resolve()
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CliError(f"数据目录不可写：{folder.resolve()}（请检查目录的所有者与权限，或用 --data-dir / TECHREG_DATA_DIR"
                       f" 另选目录）",
                       f"the data folder {folder.resolve()} is not writable (check its owner and permissions, or choose"
                       f" another with --data-dir / TECHREG_DATA_DIR)")


async def _schema_state(conn) -> tuple[dict, list]:
    return await applied_versions(conn), await pending(conn)


def ensure_schema(url: str, *, embedded: bool) -> None:
    """A schema as new as the code, or a clean stop. A fresh embedded database gets its schema here (first
    start); an external database is migrated only by `techreg migrate`, the release step."""
    applied, todo = with_connection(url, _schema_state)
    if not todo:
        return
    if embedded and not applied:
        click.echo("首次启动：正在建立数据库结构 / first start: creating the database schema", err=True)
        done = with_connection(url, lambda conn: migrate(conn, progress=lambda _: None))
        click.echo(f"数据库结构已建立（{len(done)} 个迁移）/ schema created ({len(done)} migrations applied)", err=True)
        return
    if not applied:
        raise CliError("数据库中还没有 techreg 的表结构：请先以表结构所有者运行 `techreg migrate`"
                       "（TECHREG_MIGRATE_DATABASE_URL；这是每次发布的步骤，见 README）",
                       "the database has no techreg schema yet: run `techreg migrate` as the schema's owner first"
                       " (TECHREG_MIGRATE_DATABASE_URL; the release step, see README)")
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in todo)
    raise CliError(f"数据库结构版本落后于程序（缺少 {names}），请先运行 `techreg migrate`",
                   f"database schema is older than the code (missing {names}); run `techreg migrate` first")


@contextlib.contextmanager
def open_database(settings: Settings, *, schema: bool = True, owner: bool = False, keep_running: bool = False):
    """Yield a `Db`; start the embedded server when no URL is configured, and stop it again afterwards unless
    it was already running or `keep_running` is asked.

    schema: the command needs the schema (see `ensure_schema`). owner: connect as the schema's owner
    (TECHREG_MIGRATE_DATABASE_URL on an external server; the embedded server's URL is the owner's already).
    """
    if settings.database_url:
        if owner and settings.migrate_database_url:
            settings = msgspec.structs.replace(settings, database_url=settings.migrate_database_url)
        if schema:
            ensure_schema(settings.database_url, embedded=False)
        yield Db(settings, settings.database_url)
        return
    _require_writable(settings.data_dir)
    server = EmbeddedPostgres(settings.data_dir)
    was_running = server.initialised() and server.running()
    url = server.start()
    try:
        if schema:
            ensure_schema(url, embedded=True)
        yield Db(settings, url, shared=was_running)
    finally:
        if not was_running and not keep_running:
            server.stop()


def with_database(*, schema: bool = True, owner: bool = False, keep_running: bool = False):
    """Decorate a command whose first parameter is a `Db`: the database is opened around it as
    `open_database` says, and closed (the embedded server stopped) when it returns or fails. Errors it
    raises reach the person in the one style through the root group."""
    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            with open_database(current_settings(), schema=schema, owner=owner, keep_running=keep_running) as db:
                return command(db, *args, **kwargs)
        return wrapper
    return decorate


def service_url(settings: Settings, url: str) -> str:
    """The service and the worker connect as techreg_app: on the embedded server with the owner's URL, the
    role swapped and its own password (set here, kept beside the server's); an external
    TECHREG_DATABASE_URL already names the role it should use."""
    from ..db.roles import app_url, set_app_password

    if settings.database_url:
        return url
    path = EmbeddedPostgres(settings.data_dir).app_password_file
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(16))
    password = path.read_text().strip()
    with_connection(url, lambda conn: set_app_password(conn, password))
    return app_url(url, password)


async def acting_user(conn, username: str):
    """The active user a command acts as (--by), or NotFound."""
    from ..errors import NotFound
    from ..registry.users import user_named

    user = await user_named(conn, username)
    if user is None:
        raise NotFound(f"用户 {username} 不存在", f"no active user {username}")
    return user
