"""Bad input: schemathesis against the service's own OpenAPI schema, authenticated, per role.

    python bench/fuzz_api.py [EXAMPLES_PER_OPERATION]      (default 80)

Runs `schemathesis run` once with a registrar's token and once with a supervisor's against a live
`techreg serve`, checking: no 5xx (not_a_server_error) and every response conforming to the schema
(response_schema_conformance, content_type_conformance, status_code_conformance). Prints the number
of generated requests and the failures.
"""

import asyncio
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from _common import BENCH_PASSWORD, fresh_database, office, server, service  # noqa: E402

from techreg.db.pool import connect  # noqa: E402
from techreg.demo import generate, jsonl  # noqa: E402
from techreg.registry.importer import import_stream  # noqa: E402

EXAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 80
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"


async def prepare(url: str) -> None:
    await office(url)
    conn = await connect(url)
    data = io.BytesIO(b"".join(jsonl(generate(500, seed=1, points=["310101"], status="registered"))))
    await import_stream(conn, data, b"bench-key", actor="bench", create_points=True, source="fuzz")
    await conn.close()


async def token(base: str, user: str) -> str:
    async with aiohttp.ClientSession(base) as http:
        async with http.post("/api/auth/login", json={"username": user, "password": BENCH_PASSWORD}) as r:
            return (await r.json())["token"]


def run_schemathesis(base: str, bearer: str, report: Path) -> tuple[int, str]:
    cmd = ["schemathesis", "run", f"{base}/schema/openapi.json", "--checks", CHECKS, "-n", str(EXAMPLES),
           "-H", f"Authorization: Bearer {bearer}", "--exclude-path-regex", "/api/auth/logout",
           "--report", "ndjson", "--report-ndjson-path", str(report), "--no-color", "--seed", "2026",
           "--generation-deterministic", "--max-failures", "50"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    requests = sum(1 for line in report.read_text().splitlines() if '"ScenarioFinished"' in line or
                   '"request"' in line) if report.exists() else 0
    return requests, done.stdout[-4000:]


async def main(url: str) -> None:
    await prepare(url)
    folder = Path(tempfile.mkdtemp())
    total = 0
    with service(url, TECHREG_LOGIN_ATTEMPTS_PER_MINUTE=100000) as base:
        for user in ("bench", "bench-supervisor"):
            bearer = await token(base, user)
            _, output = run_schemathesis(base, bearer, folder / f"{user}.ndjson")
            match = re.search(r"Test cases:\s*(\d+) generated", output)
            generated = int(match.group(1)) if match else 0
            total += generated
            print(f"== as {user}: {generated} generated test cases ==")
            print(output)
    print(f"TOTAL generated requests: {total}")


if __name__ == "__main__":
    with server() as admin_url:
        asyncio.run(main(asyncio.run(fresh_database(admin_url))))
