"""Settings from the environment, and the few rules about DSNs that keep secrets out of output."""

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pipeline import PipelineError

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
MASK = "********"


def identifier(value: str, what: str) -> str:
    """Return value if it is a plain SQL identifier; configuration is never pasted into SQL raw."""
    if not IDENTIFIER.fullmatch(value):
        raise PipelineError("config", f"{what} must be a plain identifier (letters, digits, _), got {value!r}")
    return value


def masked(dsn: str | None) -> str | None:
    """A DSN or URL fit to show: its password replaced by ********; nothing of it if it cannot be read."""
    if not dsn:
        return dsn
    if dsn.startswith(("clickhouse://", "chdb://")):
        parts = urlsplit(dsn)
        login, _, address = parts.netloc.rpartition("@")
        if ":" not in login:
            return dsn
        return parts._replace(netloc=f"{login.partition(':')[0]}:{MASK}@{address}").geturl()
    try:
        params = conninfo_to_dict(dsn)
    except Exception:
        return "(not a valid connection string)"
    if "password" in params:
        params["password"] = MASK
    return make_conninfo("", **params)


def hide_password(text: str, dsn: str) -> str:
    """A server's error about a statement that carried the DSN's password, with that password masked
    as written and as quoted in SQL (a syntax error quotes the statement from where it failed)."""
    try:
        password = conninfo_to_dict(dsn).get("password")
    except Exception:
        return text
    if not password:
        return text
    for form in (password, password.replace("'", "''"), password.replace("\\", "\\\\").replace("'", "\\'")):
        text = text.replace(form, MASK)
    return text


def masked_repr(self) -> str:
    """A dataclass's repr with its DSNs and URLs (the fields whose names say dsn or url) masked."""
    shown = [
        f"{f.name}={masked(value) if 'dsn' in f.name or 'url' in f.name else value!r}"
        for f in fields(self)
        for value in [getattr(self, f.name)]
    ]
    return f"{type(self).__name__}({', '.join(shown)})"


@dataclass(frozen=True)
class Config:
    source_dsn: str | None
    warehouse_dsn: str | None
    clickhouse_url: str | None
    data_dir: Path
    warehouse_dsn_for_mart: str | None = None  # the warehouse as ClickHouse reaches it, if not as we do
    warehouse_admin_dsn: str | None = None  # the schema's owner, for migrations and the source binding
    max_delete_share: float = 0.5  # a run marking more of an entity's current keys deleted is refused

    __repr__ = masked_repr

    @classmethod
    def from_env(cls, env=os.environ) -> "Config":
        return cls(
            source_dsn=env.get("SOURCE_DSN") or None,
            warehouse_dsn=env.get("WAREHOUSE_DSN") or None,
            clickhouse_url=env.get("CLICKHOUSE_URL") or None,
            warehouse_dsn_for_mart=env.get("WAREHOUSE_DSN_FOR_MART") or None,
            warehouse_admin_dsn=env.get("WAREHOUSE_ADMIN_DSN") or None,
            data_dir=Path(env.get("DATA_DIR") or Path(__file__).resolve().parent.parent / "data").resolve(),
            max_delete_share=share(env.get("MAX_DELETE_SHARE") or "0.5", "MAX_DELETE_SHARE"),
        )


def share(text: str, name: str) -> float:
    """A share between 0 and 1 (0.5 is half), or a clear error naming the variable."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise PipelineError("config", f"{name} must be a share between 0 and 1 (0.5 is half), got {text!r}")
    return value


def dsn_parts(dsn: str, database: str) -> dict:
    """libpq connection parameters of a DSN (URI or key=value), with a clear error when it is malformed."""
    try:
        return conninfo_to_dict(dsn)
    except Exception:
        raise PipelineError(database, "the DSN is not a valid PostgreSQL connection string") from None


@dataclass(frozen=True)
class ClickHouseURL:
    """CLICKHOUSE_URL: clickhouse://user:password@host:port/db (a server) or chdb:///abs/path (embedded).
    `?database=` names the mart database (default mart), `?cluster=` a ClickHouse cluster for the mart."""

    kind: str  # "server" or "chdb"
    database: str
    cluster: str | None = None
    path: str = ""
    host: str = ""
    port: int = 9000
    user: str = "default"
    password: str = field(default="", repr=False)

    @classmethod
    def parse(cls, url: str) -> "ClickHouseURL":
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.scheme == "chdb":
            if not parts.path.startswith("/") or parts.netloc:
                raise PipelineError("mart", "CLICKHOUSE_URL for chDB must be chdb:///absolute/path")
            database = identifier(query.get("database", "mart"), "the mart database")
            return cls(kind="chdb", database=database, path=parts.path, cluster=cluster_of(query))
        if parts.scheme == "clickhouse":
            if not parts.hostname:
                raise PipelineError("mart", "CLICKHOUSE_URL must name a host: clickhouse://user:password@host:9000/db")
            database = identifier(parts.path.strip("/") or query.get("database", "mart"), "the mart database")
            return cls(
                kind="server",
                database=database,
                host=parts.hostname,
                port=parts.port or 9000,
                user=unquote(parts.username or "default"),
                password=unquote(parts.password or ""),
                cluster=cluster_of(query),
            )
        raise PipelineError("mart", "CLICKHOUSE_URL must start with clickhouse:// or chdb://")

    @property
    def data_table(self) -> str:
        """The table the mart is loaded into and read from: on a cluster, the Distributed one."""
        return "dm_courses_modules_lessons_streams_" + ("all" if self.cluster else "data")

    def masked(self) -> str:
        if self.kind == "chdb":
            return f"chdb://{self.path} (database {self.database})"
        return f"clickhouse://{self.user}:********@{self.host}:{self.port}/{self.database}"


def cluster_of(query: dict) -> str | None:
    return identifier(query["cluster"], "the ClickHouse cluster") if query.get("cluster") else None
