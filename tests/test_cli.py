"""The command line as an operator meets it: help on everything, one clean error (Chinese first, English
second, no traceback), files that are not UTF-8 or hold nothing, a port already taken, a data folder it
cannot write, the first start on a fresh database. Each case runs `python -m techreg.cli` in a process of
its own against a real PostgreSQL."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import asyncpg
import click
import pytest
from click.testing import CliRunner

from conftest import cli_env, filing_body, new_ref, unique_point_code
from techreg import testing
from techreg.cli import main
from techreg.db.embedded import EmbeddedPostgres
from techreg.db.migrate import load_migrations

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def cli(*args: str, env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "techreg.cli", *args], capture_output=True, text=True, env=env,
                          timeout=180, **kw)


def assert_one_clean_error(result: subprocess.CompletedProcess) -> str:
    """Exit 1, and stderr one line: 错误 / error: Chinese … / English …, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("错误 / error: "), line
    first_cjk, first_latin = CJK.search(line[len("错误 / error: "):]), LATIN.search(line[len("错误 / error: "):])
    assert first_cjk and first_latin and first_cjk.start() < first_latin.start(), line  # Chinese first
    return line


def _lines(*filings: dict, encoding: str = "utf-8") -> bytes:
    return b"".join(json.dumps(f, ensure_ascii=False).encode(encoding) + b"\n" for f in filings)


def _add_point(url: str) -> str:
    """A registration point of the test's own (an import refuses lines naming a point no one has set up)."""
    point = unique_point_code()

    async def go():
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("INSERT INTO points (code, name) VALUES ($1, $2)", point, f"命令行测试登记点 {point}")
        finally:
            await conn.close()
    asyncio.run(go())
    return point


def _count(url: str, sql: str, *args):
    async def go():
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()
    return asyncio.run(go())


def _fresh_database(admin_url: str) -> str:
    """A database on the test server with nothing in it, not even the schema."""
    name = f"techreg_cli_{uuid.uuid4().hex[:8]}"

    async def go():
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
    asyncio.run(go())
    return admin_url.rpartition("/")[0] + "/" + name


# -- help -----------------------------------------------------------------------------------------------

def _walk(command: click.Command, path: str):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, f"{path} {name}")


def test_every_command_and_option_has_help_in_both_languages():
    missing = []
    ctx = click.Context(main)
    for path, command in _walk(main, "techreg"):
        text = command.help or ""
        if not (CJK.search(text) and LATIN.search(text)):
            missing.append(f"{path}: command help {text!r}")
        for param in command.get_params(ctx):
            if isinstance(param, click.Option):
                help_text = param.help or ""
                if not (CJK.search(help_text) and LATIN.search(help_text)):
                    missing.append(f"{path} {'/'.join(param.opts)}: {help_text!r}")
            elif isinstance(param, click.Argument) and param.human_readable_name not in text:
                missing.append(f"{path}: the help does not say what {param.human_readable_name} is")
    assert not missing, "\n".join(missing)
    assert sum(1 for _ in _walk(main, "techreg")) >= 30   # the whole tree was walked, groups and all


def test_help_runs_for_every_command():
    # in this process (click's runner): forty interpreters starting to print help cost 8 s; that `techreg` starts
    # as a program at all is what every other test here runs
    runner = CliRunner()
    for path, _ in _walk(main, "techreg"):
        result = runner.invoke(main, [*path.split()[1:], "--help"], prog_name="techreg")
        assert result.exit_code == 0 and "显示本帮助并退出" in result.output, (path, result.output)
        # written for the person at the terminal: a date as YYYY-MM-DD, never strftime or our source files
        assert "%Y" not in result.output and ".py)" not in result.output, (path, result.output)
    assert "--on YYYY-MM-DD" in runner.invoke(main, ["rules", "--help"]).output


def test_a_missing_file_and_a_bad_date_are_said_in_both_languages(tmp_path):
    runner = CliRunner()
    missing = tmp_path / "nonexist.jsonl"
    for args in (["import", str(missing)], ["credit", "import", str(missing)]):
        result = runner.invoke(main, args, prog_name="techreg")
        assert result.exit_code == 1, result.output
        assert result.output.strip() == (f"错误 / error: 文件 {missing} 不存在，请检查路径 / the file {missing} does not"
                                         " exist: check the path"), result.output
    result = runner.invoke(main, ["rules", "--on", "2026-13-01"], prog_name="techreg")
    assert result.exit_code == 2 and "Invalid value" not in result.output, result.output
    assert "“2026-13-01”不是有效日期，应写作 YYYY-MM-DD" in result.output and "is not a valid date" in result.output


def test_clicks_own_complaints_are_said_in_both_languages():
    """A mistyped command line (Click's own checks) gets Chinese first, then English, as every other error does."""
    runner = CliRunner()
    said = {
        ("user", "add"): ("缺少参数 'USERNAME'", "missing argument 'USERNAME'"),
        ("campaign", "create", "--name", "x"): ("缺少选项 '--from'", "missing option '--from'"),
        ("bogus",): ("没有“bogus”这个命令", "no such command 'bogus'"),
        ("scan", "--ful"): ("没有 --ful 这个选项（是否要用 --full？）", "did you mean --full?"),
        ("scan", "--bogus"): ("没有 --bogus 这个选项（可用的选项见 --help）", "no such option: --bogus"),
        ("rules", "--on"): ("选项 --on 后面需要给出一个值", "option --on needs a value after it"),
        ("scan", "extra"): ("多余的参数：extra", "unexpected extra argument(s): extra"),
        ("jobs", "history", "--limit", "abc"): ("'--limit' 的取值无效", "“abc”不是整数 / 'abc' is not a whole number"),
        ("credit", "export", "-o", "/"): ("/ 是目录，不是文件", "/ is a folder, not a file"),
    }
    for args, (zh, en) in said.items():
        result = runner.invoke(main, list(args), prog_name="techreg")
        last = result.output.strip().splitlines()[-1]
        assert result.exit_code == 2, (args, result.output)
        assert last.startswith("错误 / error: 命令行参数有误 / invalid command line: "), (args, last)
        assert zh in last and en in last and last.index(zh) < last.index(en), (args, last)
        # where to read more: the help of the command (or of techreg, for a command it does not have); Click's
        # option parser gives no command to a missing value, so that one line stands alone
        if args != ("rules", "--on"):
            where = "techreg" if args == ("bogus",) else f"techreg {args[0]}"
            assert f"帮助 / help: {where}" in result.output, (args, result.output)


# -- the one error style ------------------------------------------------------------------------------------

def test_domain_and_usage_errors_in_one_style(settings):
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    line = assert_one_clean_error(cli("campaign", "show", "987654321", env=env))
    assert "987654321" in line
    result = cli("campaign", "create", "--name", "x", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("错误 / error: 命令行参数有误 / invalid command line:")
    assert "--from" in result.stderr
    line = assert_one_clean_error(cli("jobs", "run", "no_such_job", env=env))
    assert "no_such_job" in line
    # an export to a folder that does not exist: which file and why, in one line (no traceback)
    for args in (["export", "-o", "/nonexistent/dir/x.jsonl"], ["revocations", "tax-notice", "-o", "/nonexistent/x.csv"]):
        line = assert_one_clean_error(cli(*args, env=env))
        assert f"无法打开文件 {args[-1]}（目录或文件不存在）" in line and "no such folder or file" in line, line
    result = cli("--no-such-option", "scan", env=env)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].startswith("错误 / error: ")


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path):
    env = cli_env(TECHREG_DATABASE_URL=f"postgresql://techreg:secret-pw@127.0.0.1:{testing.free_port()}/techreg",
                  TECHREG_AUDIT_KEY="k", TECHREG_DATA_DIR=str(tmp_path))
    line = assert_one_clean_error(cli("scan", env=env))
    assert "127.0.0.1" in line and "secret-pw" not in line


def test_serve_refuses_a_privileged_connection_in_one_line(settings, tmp_path):
    # the owner's URL (a superuser on the test server) instead of techreg_app's
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY="k", TECHREG_DATA_DIR=str(tmp_path))
    line = assert_one_clean_error(cli("serve", "--port", "0", env=env))
    assert "techreg_app" in line and "superuser" in line


# -- import files -------------------------------------------------------------------------------------

def test_a_gbk_file_is_refused_once_with_the_conversion_that_works(tmp_path, settings):
    point = _add_point(settings.database_url)
    filings = [filing_body(new_ref("G"), point) for _ in range(3)]
    gbk = tmp_path / "history-gbk.jsonl"
    gbk.write_bytes(_lines(*filings, encoding="gbk"))
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    refs = [f["ref"] for f in filings]

    line = assert_one_clean_error(cli("import", str(gbk), env=env))
    assert "UTF-8" in line and "GBK" in line and "line 2" not in line
    assert _count(settings.database_url, "SELECT count(*) FROM filings WHERE ref = any($1)", refs) == 0

    # the conversion the message gives, run as given, makes a file that imports
    command = re.search(r"iconv -f (\S+) -t UTF-8 (\S+) > (\S+) /", line)
    assert command, line
    source, target = Path(command.group(2)), Path(command.group(3))
    with open(target, "wb") as out:
        subprocess.run(["iconv", "-f", command.group(1), "-t", "UTF-8", str(source)], stdout=out, check=True)
    result = cli("import", "--no-scan", str(target), env=env)
    assert result.returncode == 0, result.stderr
    assert "3 imported" in result.stdout
    assert _count(settings.database_url, "SELECT count(*) FROM filings WHERE ref = any($1)", refs) == 3
    # the Chinese text survived the round trip
    assert _count(settings.database_url, "SELECT title FROM filings WHERE ref = $1", refs[0]) == filings[0]["title"]


def test_a_utf8_file_with_one_broken_line_still_reports_that_line(tmp_path, settings):
    point = _add_point(settings.database_url)
    good, broken, good2 = (filing_body(new_ref("G"), point) for _ in range(3))
    path = tmp_path / "mostly-utf8.jsonl"
    # and a line an editor broke: a Chinese comma between two fields
    path.write_bytes(_lines(good) + _lines(broken, encoding="gbk") + _lines(good2)
                     + '{"ref": "G-1"，"title": "x"}\n'.encode())
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    result = cli("import", "--no-scan", str(path), env=env)
    assert result.returncode == 1
    assert "line 2" in result.stderr and "not UTF-8" in result.stderr and "iconv" not in result.stderr
    assert "2 imported" in result.stdout
    assert ("第 4 行 / line 4: 申请内容 / the filing ($): 不是合法的 JSON：第 14 列（“，”）：缺少逗号 , 或右花括号 } / not valid JSON:"
            " at column 14 (`，`): a comma , or closing brace } is missing") in result.stderr, result.stderr


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_an_empty_file_warns_and_fails(tmp_path, settings, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_AUDIT_KEY=settings.audit_key)
    line = assert_one_clean_error(cli("import", str(path), env=env))
    assert "empty" in line and "空" in line


# -- a port already taken ---------------------------------------------------------------------------------

def test_a_second_serve_or_demo_on_a_port_in_use_says_so(database_url, tmp_path):
    with testing.running_service(database_url, tmp_path / "first") as base:
        port = base.rsplit(":", 1)[1]
        env = cli_env(TECHREG_DATABASE_URL=testing.app_url(database_url), TECHREG_AUDIT_KEY="k",
                      TECHREG_DATA_DIR=str(tmp_path / "second"))
        line = assert_one_clean_error(cli("serve", "--port", port, env=env))
        assert f"127.0.0.1:{port}" in line and "already in use" in line
        # the demo says so before it starts a database or loads anything
        demo_dir = tmp_path / "demo"
        line = assert_one_clean_error(cli("--data-dir", str(demo_dir), "demo", "--port", port, env=cli_env()))
        assert f"127.0.0.1:{port}" in line and "已被占用" in line
        assert not (demo_dir / "pg").exists()
        assert urllib.request.urlopen(base + "/health", timeout=5).status == 200   # the first one is untouched


# -- a data folder it cannot write ---------------------------------------------------------------------

def _as_someone_else() -> dict:
    """Run as an unprivileged user when the suite runs as root (root writes anywhere)."""
    if os.geteuid() != 0:
        return {}
    who = {"user": 65534, "group": 65534, "extra_groups": []}       # nobody
    probe = subprocess.run([sys.executable, "-c", "import techreg.cli"], env=cli_env(), capture_output=True,
                           cwd="/", **who)
    if probe.returncode != 0:
        pytest.skip(f"the unprivileged user cannot run this Python: {probe.stderr[-300:]}")
    return who


def test_a_read_only_data_folder_is_one_clear_line(settings):
    who = _as_someone_else()
    folder = Path(tempfile.mkdtemp(prefix="techreg-ro-"))
    try:
        folder.chmod(0o555)
        # the embedded server would live there
        line = assert_one_clean_error(cli("--data-dir", str(folder / "var"), "serve", "--port", "0",
                                          env=cli_env(), cwd="/", **who))
        assert str(folder / "var") in line and "not writable" in line and "不可写" in line
        # an external database, but the audit key would be generated there
        path = folder / "one.jsonl"
        folder.chmod(0o755)
        path.write_bytes(_lines(filing_body(new_ref("R"), unique_point_code())))
        path.chmod(0o644)
        folder.chmod(0o555)
        env = cli_env(TECHREG_DATABASE_URL=settings.database_url, TECHREG_DATA_DIR=str(folder))
        line = assert_one_clean_error(cli("import", str(path), env=env, cwd="/", **who))
        assert str(folder / "audit.key") in line
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


# -- the first start ------------------------------------------------------------------------------------

def test_a_fresh_external_database_asks_for_migrate_as_the_release_step(server, tmp_path):
    url = _fresh_database(server[1])
    env = cli_env(TECHREG_DATABASE_URL=url, TECHREG_AUDIT_KEY="k", TECHREG_DATA_DIR=str(tmp_path))
    for args in (["scan"], ["serve", "--port", "0"]):
        line = assert_one_clean_error(cli(*args, env=env))
        assert "techreg migrate" in line and "release step" in line and "发布" in line
    assert _count(url, "SELECT to_regclass('schema_migrations') IS NULL")     # nothing was applied behind its back
    result = cli("migrate", env=env)
    assert result.returncode == 0, result.stderr
    result = cli("scan", env=env)
    assert result.returncode == 0, result.stderr


def _wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
    raise AssertionError(log.read_text())


def test_a_fresh_embedded_database_gets_its_schema_from_the_first_command(tmp_path):
    everything = len(load_migrations())
    first, second = tmp_path / "serve-first", tmp_path / "scan-first"
    try:
        # serve first: it creates the schema, then serves
        port = testing.free_port()
        log = tmp_path / "serve.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "techreg.cli", "--data-dir", str(first), "serve",
                                     "--port", str(port)], env=cli_env(TECHREG_RUN_JOBS="no"), stdout=out,
                                    stderr=subprocess.STDOUT, text=True)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", proc, log)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert "first start: creating the database schema" in log.read_text(), log.read_text()[-3000:]
        # SIGTERM is a clean exit: the embedded server was stopped with the service
        assert proc.returncode == 0, (proc.returncode, log.read_text()[-3000:])
        url = EmbeddedPostgres(first).start()        # with it, as on the next start
        assert _count(url, "SELECT count(*) FROM schema_migrations") == everything
        # a command on a data folder whose server another process runs knows it shares it, and a service says so
        from techreg.cli.common import open_database
        from techreg.cli.serve import say_if_shared
        from techreg.config import load_settings
        with open_database(load_settings(data_dir=first)) as db:
            assert db.shared and db.url == url
            with CliRunner().isolation() as (_, err, _):
                say_if_shared(db)
            said = err.getvalue().decode()
            assert "已由另一个 techreg 进程运行" in said and "another techreg process already runs" in said, said
        assert EmbeddedPostgres(first).running()     # left running: it was not this command's to stop
        # the next command finds it there
        path = tmp_path / "one.jsonl"
        path.write_bytes(_lines(filing_body(new_ref("E"), unique_point_code())))
        result = cli("--data-dir", str(first), "import", "--create-points", "--no-scan", str(path), env=cli_env())
        assert result.returncode == 0, result.stderr
        assert "1 imported" in result.stdout and "first start" not in result.stderr
        # the worker on the embedded database connects as the service role and schedules its jobs
        log = tmp_path / "worker.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "techreg.cli", "--data-dir", str(first), "worker"],
                                    env=cli_env(), stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            for _ in range(600):
                if "next run" in log.read_text() or proc.poll() is not None:
                    break
                time.sleep(0.1)
            assert "next run" in log.read_text() and proc.poll() is None, log.read_text()
            # its log lines stamped in the office's zone, with the offset (TECHREG_TIMEZONE's default, Shanghai)
            assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\+08:00 ", log.read_text(), re.M), log.read_text()
        finally:
            proc.terminate()
            proc.wait(timeout=30)

        # a scan first does the same
        result = cli("--data-dir", str(second), "scan", env=cli_env())
        assert result.returncode == 0, result.stderr
        assert "first start: creating the database schema" in result.stderr
        assert f"({everything} migrations applied)" in result.stderr
    finally:
        for folder in (first, second):
            if (folder / "pg" / "data" / "PG_VERSION").exists():
                EmbeddedPostgres(folder).stop(mode="immediate")


# -- the demo -------------------------------------------------------------------------------------------

async def test_the_demo_loads_and_every_login_it_prints_works(empty_database, tmp_path):
    from litestar.testing import AsyncTestClient

    from techreg.cli.serve import DEMO_USERS, load_demo
    from techreg.config import load_settings
    from techreg.web.app import create_app

    settings = load_settings(data_dir=tmp_path, database_url=empty_database, audit_key="demo-key")
    logins = await load_demo(empty_database, settings, 300)
    async with AsyncTestClient(app=create_app(settings, testing.app_url(empty_database))) as client:
        for username, _, role, _, password in DEMO_USERS:
            assert f"{username}" in logins and password in logins
            r = await client.post("/api/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, (username, r.text)
            assert r.json()["user"]["role"] == role
            client.cookies.clear()
        token = (await client.post("/api/auth/login", json={"username": "supervisor", "password": "jiandu-demo-2026"}
                                   )).json()["token"]
        campaigns = (await client.get("/api/campaigns", headers={"Authorization": f"Bearer {token}"})).json()
        assert len(campaigns) == 1, "the demo draws a first campaign"


def test_no_command_summary_is_cut_off_and_choices_are_in_words():
    runner = CliRunner()
    for path, _ in _walk(main, "techreg"):
        shown = runner.invoke(main, [*path.split()[1:], "--help"], prog_name="techreg").output
        cut = [line for line in shown.splitlines() if line.rstrip().endswith("...") and "[ARGS]..." not in line]
        assert not cut, (path, cut)
    shown = runner.invoke(main, ["revoke", "--help"], prog_name="techreg").output
    assert "fraudulent = 合同虚假" in shown and "inspection_finding = 行政检查结论" in shown
