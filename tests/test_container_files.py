"""The container's invariants, checked without docker (scripts/container-check builds and runs the image).

The image runs as a non-root user on a declared volume it owns, on a base chosen by ARG BASE, with a health
check; compose.yaml runs PostgreSQL (pinned), a one-shot migrate, the service and two workers, with health
checks, named volumes, and every secret a file, never an environment literal."""

import http.server
import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
SECRET_WORDS = ("KEY", "PASSWORD", "DATABASE_URL", "SECRET", "TOKEN")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(m.group(1).upper(), m.group(2).strip()) for m in re.finditer(r"^\s*(\w+)\s+(.*)$", joined, re.M)]


STEPS = instructions(DOCKERFILE)
FINAL = STEPS[max(i for i, (op, _) in enumerate(STEPS) if op == "FROM"):]
ENV = dict(re.findall(r"(\w+)=(\S+)", " ".join(args for op, args in FINAL if op == "ENV")))


def test_the_base_is_a_build_argument_for_every_stage():
    assert STEPS[0][0] == "ARG" and STEPS[0][1].startswith("BASE=")
    froms = [args for op, args in STEPS if op == "FROM"]
    assert len(froms) >= 2 and all(f.split()[0] == "${BASE}" for f in froms)


def test_the_image_runs_as_a_non_root_user():
    users = [args for op, args in FINAL if op == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith(("root:", "0:"))
    # nothing after the last USER switches back
    last = max(i for i, (op, _) in enumerate(FINAL) if op == "USER")
    assert all(op != "USER" for op, _ in FINAL[last + 1:])


def test_the_data_folder_is_a_volume_the_user_owns():
    data = ENV["TECHREG_DATA_DIR"]
    volumes = [args for op, args in FINAL if op == "VOLUME"]
    assert volumes and data in " ".join(volumes)
    runs = " ".join(args for op, args in FINAL if op == "RUN")
    # created and owned in the image, so a new named volume starts owned by the user (not root)
    assert f"mkdir -p {data}" in runs and re.search(rf"chown \S+ {re.escape(data)}", runs)
    # the model in force, the checkpoints: on the volume
    assert ENV["TECHREG_MODELS_DIR"].startswith(data)


def test_health_check_init_and_entry_point():
    assert any(op == "HEALTHCHECK" and "healthcheck" in args for op, args in FINAL)
    entry = next(args for op, args in FINAL if op == "ENTRYPOINT")
    assert '"tini"' in entry and '"entrypoint"' in entry
    for name in ("entrypoint", "healthcheck"):
        path = REPO / "docker" / name
        assert path.stat().st_mode & stat.S_IXUSR
    assert subprocess.run(["sh", "-n", str(REPO / "docker" / "entrypoint")]).returncode == 0


def test_the_image_holds_what_the_jobs_need_and_no_secret():
    copied = " ".join(args for op, args in STEPS if op == "COPY")
    for needed in ("migrations", "models", "ml", "src"):
        assert needed in copied
    assert "TECHREG_AUDIT_KEY" not in DOCKERFILE.replace("TECHREG_AUDIT_KEY_FILE", "")
    # the build context lets through what the COPY lines name
    allowed = {line[1:] for line in (REPO / ".dockerignore").read_text().splitlines() if line.startswith("!")}
    assert {"pyproject.toml", "README.md", "src", "ml", "migrations", "models", "docker"} <= allowed
    # no build tools installed into the image that runs
    final_runs = " ".join(args for op, args in FINAL if op == "RUN")
    assert not re.search(r"\b(gcc|build-essential|make|g\+\+)\b", final_runs)
    assert "rm -rf /var/lib/apt/lists/*" in final_runs


def test_compose_runs_the_deployment_shape():
    services = COMPOSE["services"]
    assert {"db", "migrate", "web", "worker"} <= set(services)
    db = services["db"]
    name, _, tag = db["image"].partition(":")
    assert name == "postgres" and re.match(r"\d+\.\d+", tag), "the database image is pinned to a release"
    assert db["healthcheck"]["test"] and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["techreg", "migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["command"] == ["techreg", "serve"]
    assert services["worker"]["command"] == ["techreg", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    for s in ("web", "worker"):
        assert services[s]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert not services[s].get("healthcheck", {}).get("disable"), "web and workers keep the image's check"
    # named volumes, not bind mounts, hold the data
    assert {"pgdata", "techreg-data"} <= set(COMPOSE["volumes"])
    for s in ("web", "worker", "migrate"):
        assert "techreg-data:/home/techreg/var" in services[s]["volumes"]


def test_compose_passes_secrets_as_files_never_as_environment_literals():
    services = COMPOSE["services"]
    for name, service in services.items():
        environment = service.get("environment") or {}
        for variable, value in environment.items():
            if any(word in variable for word in SECRET_WORDS):
                assert variable.endswith("_FILE") and str(value).startswith("/run/secrets/"), (name, variable)
        for secret in service.get("secrets", []):
            assert secret in COMPOSE["secrets"]
    assert "techreg_audit_key" in services["web"]["secrets"] and "techreg_audit_key" in services["worker"]["secrets"]
    assert services["web"]["environment"]["TECHREG_AUDIT_KEY_FILE"] == "/run/secrets/techreg_audit_key"
    for secret in COMPOSE["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    assert "/secrets/" in (REPO / ".gitignore").read_text().splitlines()


def test_compose_secrets_are_generated_consistently_and_kept(tmp_path):
    script = REPO / "scripts" / "compose-secrets"
    subprocess.run([str(script), str(tmp_path)], check=True, capture_output=True)
    read = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert set(read) == set(COMPOSE["secrets"])
    assert len(read["techreg_audit_key"]) == 64 and "\n" not in read["techreg_audit_key"]
    assert read["techreg_database_url"] == f"postgresql://techreg_app:{read['techreg_app_password']}@db:5432/techreg"
    assert read["techreg_migrate_database_url"] == f"postgresql://techreg:{read['postgres_password']}@db:5432/techreg"
    for path in tmp_path.iterdir():
        assert not path.stat().st_mode & 0o022                 # nobody else writes them
    # a second run keeps every secret: the database and the trail were made with them
    subprocess.run([str(script), str(tmp_path)], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == read


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _healthcheck(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "TECHREG_WORKER_HEARTBEAT"} | env
    return subprocess.run([sys.executable, str(REPO / "docker" / "healthcheck")], env=environment,
                          capture_output=True, text=True, timeout=30)


def test_the_health_check_reads_the_service_or_the_workers_heartbeat(health_server, tmp_path):
    port = str(health_server.server_address[1])
    assert _healthcheck(TECHREG_PORT=port).returncode == 0
    _Health.status = 503
    try:
        assert _healthcheck(TECHREG_PORT=port).returncode != 0
    finally:
        _Health.status = 200
    beat = tmp_path / "worker.heartbeat"
    # a worker (its heartbeat exists) is judged by the heartbeat's age, not by HTTP
    beat.touch()
    # stamped with this process's clock, as the check reads it (under faketime the kernel's stamp would not be)
    os.utime(beat, (time.time(), time.time()))
    assert _healthcheck(TECHREG_PORT="1", TECHREG_WORKER_HEARTBEAT=str(beat)).returncode == 0
    os.utime(beat, (time.time() - 600, time.time() - 600))
    stale = _healthcheck(TECHREG_PORT=port, TECHREG_WORKER_HEARTBEAT=str(beat))
    assert stale.returncode != 0 and "heartbeat" in stale.stderr
