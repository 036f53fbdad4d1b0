"""A real Airflow deployment on this machine, for tests that only parallel tasks can prove.

PostgreSQL (from the system packages), ``airflow api-server``, ``scheduler``, ``dag-processor`` and
``triggerer`` with the LocalExecutor, or the CeleryExecutor with two ``celery worker`` processes and a Redis
broker (also from the system packages), all on loopback: the scheduler, triggerer and workers run with
``--skip-serve-logs`` (Airflow's log server binds every interface and has no setting to change that; task
logs are read from their files here). Started and stopped by :class:`Deployment`.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

FERNET_KEY = "n3hBn-lX8nUw4hdAvLZyBqxqsvA1HQXp5ZuOTvzXzjc="


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin() -> Path:
    """The directory of the system PostgreSQL's server programs."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: make test-deploy installs it with apt-get")
    return Path(found[-1]).parent


class Deployment:
    """Airflow with PostgreSQL and the LocalExecutor, every listener on 127.0.0.1.

    :param home: an empty directory for AIRFLOW_HOME, the database and the logs.
    :param dags: the DAG files to deploy.
    :param env: extra environment (connections as ``AIRFLOW_CONN_*``).
    :param parallelism: task slots of the LocalExecutor.
    """

    def __init__(
        self,
        home: Path,
        dags: list[Path],
        env: dict[str, str],
        parallelism: int = 8,
        executor: str = "LocalExecutor",
        celery_workers: int = 2,
    ) -> None:
        self.home = home
        self.executor = executor
        self.celery_workers = celery_workers
        self.broker_port = free_port()
        self.dags_folder = home / "dags"
        self.dags_folder.mkdir(parents=True)
        for dag in dags:
            shutil.copy(dag, self.dags_folder / dag.name)
        self.pg_port, self.api_port = free_port(), free_port()
        self.pg_data = home / "pg"
        self.processes: list[subprocess.Popen[bytes]] = []
        bin_dir = Path(sys.executable).parent
        self.airflow = str(bin_dir / "airflow")
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("AIRFLOW") and key != "SALESLOFT_TEST_AIRFLOW_HOME"
        }
        self.env.update(
            PATH=f"{bin_dir}:{self.env.get('PATH', '')}",
            AIRFLOW_HOME=str(home / "airflow"),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags_folder),
            AIRFLOW__CORE__EXECUTOR=executor,
            # CeleryExecutor only: a Redis broker on loopback, results in the metadata database.
            AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:{self.broker_port}/0",
            AIRFLOW__CELERY__RESULT_BACKEND=(
                f"db+postgresql+psycopg2://airflow@127.0.0.1:{self.pg_port}/airflow"
            ),
            AIRFLOW__CELERY__WORKER_CONCURRENCY=str(max(1, parallelism // max(celery_workers, 1))),
            AIRFLOW__CORE__PARALLELISM=str(parallelism),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__FERNET_KEY=FERNET_KEY,
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{self.api_port}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.api_port),
            AIRFLOW__API_AUTH__JWT_SECRET="deploy-test-jwt-secret-0123456789abcdef",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=(
                f"postgresql+psycopg2://airflow@127.0.0.1:{self.pg_port}/airflow"
            ),
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="0.5",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            AIRFLOW__CORE__TEST_CONNECTION="Enabled",
            **env,
        )

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> Deployment:
        try:
            self._start_postgres()
            self._run("db", "migrate")
            if self.executor == "CeleryExecutor":
                self._start_broker()
            self._spawn("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.api_port))
            self._spawn("scheduler", "scheduler", "--skip-serve-logs")
            self._spawn("dag-processor", "dag-processor")
            self._spawn("triggerer", "triggerer", "--skip-serve-logs")
            if self.executor == "CeleryExecutor":
                for number in range(1, self.celery_workers + 1):
                    self._spawn(
                        f"celery-worker-{number}",
                        "celery",
                        "worker",
                        "--skip-serve-logs",
                        "--celery-hostname",
                        f"worker{number}@%h",
                    )
            self._wait_for_api()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if (self.pg_data / "postmaster.pid").exists():
            self._as_postgres(str(postgres_bin() / "pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "stop")

    def _start_broker(self) -> None:
        """Redis (from the system packages) on loopback, without persistence, stopped with the rest."""
        log = open(self.home / "redis.out", "wb")  # noqa: SIM115  # closed with the process
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.processes.append(
            subprocess.Popen(
                [
                    redis,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.broker_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def _start_postgres(self) -> None:
        self.pg_data.mkdir()
        socket_dir = self.home / "pg-socket"
        socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
            for path in (self.pg_data, socket_dir):
                shutil.chown(path, "postgres")
        pg = postgres_bin()
        self._as_postgres(str(pg / "initdb"), "-D", str(self.pg_data), "-A", "trust", "-U", "airflow")
        options = f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {socket_dir}"
        log = self.home / "postgres.log"
        log.touch()
        if os.geteuid() == 0:
            shutil.chown(log, "postgres")
        self._as_postgres(
            str(pg / "pg_ctl"), "-D", str(self.pg_data), "-o", options, "-l", str(log), "-w", "start"
        )
        self._as_postgres(
            str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "airflow", "airflow"
        )

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [self.airflow, *args], env=self.env, capture_output=True, text=True, check=False, timeout=600
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.home / f"{name}.out", "wb")  # noqa: SIM115  # closed with the process
        self.processes.append(
            subprocess.Popen(
                [self.airflow, *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def _wait_for_api(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health"
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[1]} exited early: see {self.home}/*.out")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(1)
        raise RuntimeError("the api-server did not come up")

    # -- using it --------------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Call the api-server's REST API as the UI does (a token from the simple auth manager, whose
        every user is an admin here): ``(status, decoded JSON body)``."""
        base = f"http://127.0.0.1:{self.api_port}"
        if not getattr(self, "_token", None):
            with urllib.request.urlopen(f"{base}/auth/token", timeout=30) as answer:
                self._token = json.load(answer)["access_token"]
        request = urllib.request.Request(
            f"{base}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def add_connection(self, *args: str) -> None:
        """``airflow connections add`` (stored in the database, as connections made in the UI are)."""
        self._run("connections", "add", *args)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` on the metadata database."""
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="airflow", dbname="airflow")
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180) -> None:
        """Wait until the dag-processor has serialized every DAG."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.query("SELECT dag_id FROM serialized_dag")
            if set(dag_ids) <= {row[0] for row in rows}:
                return
            time.sleep(2)
        raise RuntimeError(f"DAGs not parsed: {dag_ids}; see {self.home}/dag-processor.out")

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any]) -> None:
        """``airflow dags trigger``."""
        self._run("dags", "trigger", dag_id, "--run-id", run_id, "--conf", json.dumps(conf))

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        """Wait until the run ends; return its state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", dag_id, run_id)
            if rows and rows[0][0] in ("success", "failed"):
                return str(rows[0][0])
            time.sleep(2)
        raise RuntimeError(f"{dag_id} {run_id} did not finish in {timeout} s")

    def task_states(self, dag_id: str, run_id: str) -> dict[tuple[str, int], str]:
        """``(task_id, map_index) -> state`` of a run."""
        rows = self.query(
            "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = %s AND run_id = %s",
            dag_id,
            run_id,
        )
        return {(task, index): str(state) for task, index, state in rows}

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> list[Any]:
        """The XCom values of a task (one per map index, in order)."""
        rows = self.query(
            "SELECT map_index, value FROM xcom "
            "WHERE dag_id = %s AND run_id = %s AND task_id = %s AND key = %s ORDER BY map_index",
            dag_id,
            run_id,
            task_id,
            key,
        )
        return [value if not isinstance(value, str) else json.loads(value) for _, value in rows]

    def variable(self, key: str) -> str | None:
        """A Variable, decrypted with the deployment's Fernet key, read from the metadata database (Airflow
        3.0's ``airflow variables get`` prints its log lines on stdout, before the value)."""
        from cryptography.fernet import Fernet

        rows = self.query("SELECT val, is_encrypted FROM variable WHERE key = %s", key)
        if not rows:
            return None
        value, encrypted = rows[0]
        return Fernet(FERNET_KEY.encode()).decrypt(value.encode()).decode() if encrypted else str(value)

    def everything_written(self) -> str:
        """Every task log file, a dump of the whole metadata database and every service's output, as text
        (for secret scans)."""
        return "\n".join(self.written_by_place().values())

    def written_by_place(self) -> dict[str, str]:
        """What :meth:`everything_written` scans, by place: a task log's path under the logs folder,
        ``database``, or a service's output file name (``scheduler.out``...)."""
        logs_folder = self.home / "airflow" / "logs"
        places = {
            str(path.relative_to(logs_folder)): path.read_text(errors="replace")
            for path in logs_folder.rglob("*")
            if path.is_file()
        }
        dump = subprocess.run(
            [
                str(postgres_bin() / "pg_dump"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "airflow",
                "airflow",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        places["database"] = dump
        places.update((path.name, path.read_text(errors="replace")) for path in self.home.glob("*.out"))
        return places

    def where_written(self, secrets: list[str]) -> dict[str, list[str]]:
        """``place -> the lines there holding any of secrets`` (only places with such a line)."""
        found: dict[str, list[str]] = {}
        for place, text in self.written_by_place().items():
            lines = [line for line in text.splitlines() if any(secret in line for secret in secrets)]
            if lines:
                found[place] = lines
        return found

    @staticmethod
    def listeners() -> set[str]:
        """Local addresses of every listening TCP socket on this machine."""
        result = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True)
        return {line.split()[3] for line in result.stdout.splitlines() if len(line.split()) > 3}
