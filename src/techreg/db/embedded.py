"""An embedded PostgreSQL server under the data folder.

Binaries come from the `pgserver` wheel when it is installed (CPython
3.10-3.12), otherwise from a PostgreSQL installed on the machine. The server
listens on loopback only, with a generated password, and keeps running across
the program's restarts until `stop()` is called.
"""

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
import warnings
from pathlib import Path

NO_SERVER_HELP = (
    "找不到 PostgreSQL 服务器程序。/ No PostgreSQL server binaries found.\n"
    "  - 在 CPython 3.10-3.12 上: pip install pgserver\n"
    "  - 或安装系统 PostgreSQL / or install PostgreSQL: "
    "apt-get install postgresql (Debian/Ubuntu), brew install postgresql (macOS)\n"
    "  - 或设置 / or set TECHREG_DATABASE_URL=postgresql://user:pass@host/db"
)

# postgres refuses to run as root; when we are root we run it as this user
SERVICE_USER = "techreg-pg"


class EmbeddedServerError(RuntimeError):
    pass


def find_bin_dir() -> Path:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
            from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore

        if (Path(POSTGRES_BIN_PATH) / "pg_ctl").exists():
            return Path(POSTGRES_BIN_PATH)
    except Exception:  # pgserver missing or unusable on this Python
        pass
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if candidates:
        return candidates[0].parent
    raise EmbeddedServerError(NO_SERVER_HELP)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_service_user() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_USER)
    return entry.pw_uid, entry.pw_gid


def _make_traversable(path: Path) -> None:
    """Let the service user reach the data folder and the binaries when we are root."""
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
        except PermissionError:
            pass


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, database: str = "techreg"):
        self.root = Path(data_dir).resolve() / "pg"
        self.pgdata = self.root / "data"
        self.database = database
        self.bin_dir = find_bin_dir()
        self.as_root = os.geteuid() == 0

    # -- helpers -------------------------------------------------------
    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        kw.setdefault("check", True)
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        if self.as_root:
            uid, gid = _ensure_service_user()
            kw["user"], kw["group"], kw["extra_groups"] = uid, gid, []
        kw.setdefault("cwd", "/")
        return subprocess.run([str(self.bin_dir / args[0]), *args[1:]], **kw)

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def app_password_file(self) -> Path:
        """The password of techreg_app, the role the service connects as (db/roles.py)."""
        return self.root / "app-password"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def url(self) -> str:
        port = int(self.port_file.read_text())
        password = self.password_file.read_text().strip()
        return f"postgresql://techreg:{password}@127.0.0.1:{port}/{self.database}"

    # -- lifecycle -----------------------------------------------------
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700 if not self.as_root else 0o711)
        password = secrets.token_hex(16)
        pwfile = self.root / ".initpw"
        pwfile.write_text(password)
        if self.as_root:
            uid, gid = _ensure_service_user()
            _make_traversable(self.root)
            _make_traversable(self.bin_dir)
            self.pgdata.mkdir(exist_ok=True)
            os.chown(self.pgdata, uid, gid)
            os.chown(pwfile, uid, gid)
            if not self.log_file.exists():
                self.log_file.touch()
            os.chown(self.log_file, uid, gid)
        try:
            self._run([
                "initdb", "-D", str(self.pgdata), "-U", "techreg", "--auth=scram-sha-256",
                f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C",
            ])
        except subprocess.CalledProcessError as exc:
            raise EmbeddedServerError(f"initdb failed: {exc.stderr}") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        self.password_file.write_text(password)
        os.chmod(self.password_file, 0o600)
        self.port_file.write_text(str(_free_port()))
        with open(self.pgdata / "postgresql.auto.conf", "a") as conf:
            # durable by default: a 201 must survive a crash
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "shared_buffers = '512MB'\n"
                "work_mem = '64MB'\n"
                "maintenance_work_mem = '512MB'\n"
                "max_wal_size = '4GB'\n"
                "checkpoint_timeout = '15min'\n"
                "max_connections = 200\n"
            )

    def running(self) -> bool:
        pid = self.postmaster_pid()
        if pid is None:
            return False
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            # a killed postmaster nobody reaped is a zombie: not running
            return state not in ("Z", "X")
        except (FileNotFoundError, IndexError):
            pass
        result = self._run(["pg_ctl", "status", "-D", str(self.pgdata)], check=False)
        return result.returncode == 0

    def start(self) -> str:
        if not self.initialised():
            self.init()
        if not self.running():
            port = int(self.port_file.read_text())
            # after a crash, orphaned backends can hold the old shared memory for a moment: retry
            for attempt in range(20):
                try:
                    self._run([
                        "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.pgdata),
                        "-l", str(self.log_file), "-o", f"-p {port}",
                    ])
                    break
                except subprocess.CalledProcessError as exc:
                    if attempt == 19:
                        tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
                        raise EmbeddedServerError(f"PostgreSQL failed to start: {exc.stderr}\n{tail}") from exc
                    time.sleep(0.5)
        self._ensure_database()
        return self.url()

    def _ensure_database(self) -> None:
        port = self.port_file.read_text().strip()
        env = {**os.environ, "PGPASSWORD": self.password_file.read_text().strip()}
        for _ in range(50):
            probe = self._run(
                ["psql", "-h", "127.0.0.1", "-p", port, "-U", "techreg", "-d", "postgres", "-tAc",
                 f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"],
                check=False, env=env,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        if probe.returncode != 0:
            raise EmbeddedServerError(f"PostgreSQL does not answer: {probe.stderr}")
        if probe.stdout.strip() != "1":
            self._run(["createdb", "-h", "127.0.0.1", "-p", port, "-U", "techreg", self.database], env=env)

    def stop(self, mode: str = "fast") -> None:
        if self.initialised() and self.running():
            self._run(["pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.pgdata)], check=False)

    def standby(self, data_dir: Path, **settings: str) -> "EmbeddedPostgres":
        """A streaming replica of this (running) server under `data_dir`: the same binaries' pg_basebackup -R
        (its primary_conninfo points here), on a port of its own, with `settings` added to its configuration;
        not started. For the tests and benchmarks of TECHREG_READ_DATABASE_URL; production replicas are the
        operator's (README, Scaling out)."""
        replica = EmbeddedPostgres(data_dir, self.database)
        replica.root.mkdir(parents=True, exist_ok=True)
        os.chmod(replica.root, 0o700 if not self.as_root else 0o711)
        if self.as_root:
            uid, gid = _ensure_service_user()
            _make_traversable(replica.root)
            os.chown(replica.root, uid, gid)
            replica.log_file.touch()
            os.chown(replica.log_file, uid, gid)
        password = self.password_file.read_text().strip()
        env = {**os.environ, "PGPASSWORD": password}
        try:
            self._run(["pg_basebackup", "-h", "127.0.0.1", "-p", self.port_file.read_text().strip(), "-U", "techreg",
                       "-D", str(replica.pgdata), "-R", "-X", "stream", "-c", "fast"], env=env)
        except subprocess.CalledProcessError as exc:
            raise EmbeddedServerError(f"pg_basebackup failed: {exc.stderr}") from exc
        replica.password_file.write_text(password)
        os.chmod(replica.password_file, 0o600)
        replica.port_file.write_text(str(_free_port()))
        with open(replica.pgdata / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{name} = '{value}'\n" for name, value in settings.items())
        return replica

    def postmaster_pid(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
