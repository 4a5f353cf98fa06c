"""A PostgreSQL server of the fault tests' own (initdb, pg_ctl, on a free port), which they stop and start at will."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import free_port

#: Where Debian and Ubuntu install the server's programs, one directory per major version.
POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: initdb refuses to run as root: the cluster belongs to this operating-system user then.
POSTGRES_OS_USER = "postgres"


def postgres_bin() -> Path | None:
    """The newest server's bin directory with initdb and pg_ctl, else one on PATH, else None."""
    found = [Path(d) for d in glob.glob(POSTGRES_BIN_GLOB) if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists()]
    found.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    if found:
        return found[-1]
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return Path(initdb).parent if initdb and pg_ctl else None


class Cluster:
    """One PostgreSQL server in a temporary directory: `url` to connect, `stop()` and `start()` to fault it."""

    def __init__(self, bin_dir: Path, root: Path, as_user: list[str]):
        self.bin, self.root, self.as_user = bin_dir, root, as_user
        self.data, self.log = root / "data", root / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def init(self) -> "Cluster":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: sessions are ended and their transactions rolled back, as a service stop does)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
                              capture_output=True).returncode == 0

    def query(self, statement: str, *params) -> list[tuple]:
        """The rows of one statement, run on its own connection."""
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def cluster():
    """A fresh PostgreSQL cluster, started; removed at the end. Skipped where the server's programs are absent."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip(f"no PostgreSQL server programs (initdb, pg_ctl) in {POSTGRES_BIN_GLOB} or on PATH")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="wm-faults-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(POSTGRES_OS_USER)
        except KeyError:
            shutil.rmtree(root)
            pytest.skip(f"running as root and there is no '{POSTGRES_OS_USER}' user for initdb to run as")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", POSTGRES_OS_USER, "--"]
    server = Cluster(bin_dir, root, as_user).init()
    server.start()
    yield server
    if server.running():
        server.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)
