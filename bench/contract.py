"""The API contract at ten times the examples of the test suite: schemathesis, every phase (examples,
coverage, fuzzing, stateful) and every check but positive_data_acceptance, against the app served by
gunicorn on a fresh database, as an Admin and then anonymously.

    .venv/bin/python bench/contract.py                      # a fresh SQLite file
    .venv/bin/python bench/contract.py --postgres           # a fresh PostgreSQL database, dropped after
    .venv/bin/python bench/contract.py --examples 250 --seed 1

Prints schemathesis's report of each run and writes bench/results/contract.json; exits non-zero when
either run found a failure.
"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases, servers  # noqa: E402

RESULTS = ROOT / "bench/results"
#: The test suite's default (tests/api/test_openapi.py, SCHEMATHESIS_EXAMPLES) times ten.
EXAMPLES = 100
PASSWORD = "contract-bench-password"


def create_database(postgres: bool, folder: Path) -> str:
    """A fresh, empty database; returns its URL."""
    if not postgres:
        return f"sqlite:///{folder / 'contract.db'}"
    return databases.create_database(databases.ADMIN_URL, f"wm_bench_contract_{os.getpid()}")


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        databases.drop_database(databases.ADMIN_URL, url)


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "app", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


def create_user(env: dict, username: str, role: str) -> str:
    """A user made with the command line; returns its id."""
    return flask(
        env, "users", "create", "--username", username, "--email", f"{username}@example.com",
        "--full-name", username.replace("_", " ").title(), "--role", role, "--password-stdin", stdin=PASSWORD + "\n",
    )


def serve(env: dict, port: int) -> subprocess.Popen:
    """gunicorn as the Procfile runs it, but with no limit on the request line: gunicorn's own 414 page
    (for lines over 4094 bytes) comes before the API, and the fuzzing's longest query strings should reach it.
    Checked to be the process answering on `port`."""
    command = [
        str(ROOT / ".venv/bin/gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--workers", "2",
        "--threads", "4", "--timeout", "120", "--limit-request-line", "0", "--log-level", "warning", "app:create_app()",
    ]
    return servers.serve(command, port, env)


def run_schemathesis(base_url: str, config: str, folder: Path, name: str, examples: int, seed, *options: str) -> dict:
    """One schemathesis run, its report printed as it goes; returns its figures."""
    config_file = folder / f"{name}.toml"
    config_file.write_text(config)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config_file),
        "run", f"{base_url}/api/openapi.json", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(examples), "--workers", "1", "--suppress-health-check", "all", *options,
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:
        print(line, end="", flush=True)
        output.append(line)
    process.wait()
    text = "".join(output)
    cases = re.search(r"(\d+) generated, (.*)", text)
    seed_used = re.search(r"Seed: (\d+)", text)
    return {
        "run": name,
        "examples": examples,
        "exit_code": process.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "generated": int(cases.group(1)) if cases else None,
        "outcome": cases.group(2).strip() if cases else None,
        "phases": dict(re.findall(r"(Examples|Coverage|Fuzzing|Stateful) \(in ([0-9.]+s)\)", text)),
        "seed": seed_used.group(1) if seed_used else None,
    }


#: Where schemathesis keeps what it found (`st replay` reads the crashes), out of the working tree.
CACHE = RESULTS / "schemathesis-cache"
BASE_CONFIG = f"""
[cache]
directory = "{CACHE}"

[auth]
auto-signup = false
"""


def admin_config(username: str, target_id: str) -> str:
    """As in the test suite: sign in again on a 401, and change only the target user (see tests/api/test_openapi.py)."""
    return BASE_CONFIG + f"""

[auth.dynamic.openapi.bearerAuth]
path = "/api/auth/login"
payload = {{ username = "{username}", password = "{PASSWORD}" }}
extract_selector = "/access_token"

[parameters]
"path.user_id" = "{target_id}"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database instead of SQLite")
    parser.add_argument("--examples", type=int, default=EXAMPLES, help="generated requests per operation (fuzzing)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    # No Redis: the run keeps its state to itself (the server's environment starts from this one).
    os.environ.pop("REDIS_URL", None)

    with tempfile.TemporaryDirectory(prefix="wm-contract-") as scratch:
        folder = Path(scratch)
        url = create_database(args.postgres, folder)
        env = {
            **os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "LOCAL_STORAGE_DIR": str(folder / "files"),
            "MAIL_SES": "false", "SMS_ENABLED": "false", "EXPORT_RUNNER": "thread", "LOG_JSON": "false",
            # The fuzzing guesses the Admin's password too (its name is in GET /api/users): no lockout.
            "LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000", "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        }
        server = None
        try:
            flask(env, "db", "upgrade")
            create_user(env, "contract_admin", "Admin")
            target = create_user(env, "contract_target", "Agent")
            port = servers.free_port()
            server = serve(env, port)
            base = f"http://127.0.0.1:{port}"
            runs = [
                run_schemathesis(base, admin_config("contract_admin", target), folder, "admin", args.examples, args.seed),
                run_schemathesis(base, BASE_CONFIG, folder, "anonymous", args.examples, args.seed),
            ]
        finally:
            if server is not None:
                servers.stop(server)
            drop_database(url)
    summary = {"database": "postgresql" if args.postgres else "sqlite", "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "contract.json").write_text(json.dumps(summary, indent=2))
    print("\n| run | examples | requests | seconds | result |\n|---|---|---|---|---|")
    for run in runs:
        print(f"| {run['run']} | {run['examples']} | {run['generated']} | {run['seconds']} | {run['outcome']} |")
    sys.exit(max(run["exit_code"] for run in runs))


if __name__ == "__main__":
    main()
