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


# CLICKHOUSE_URL's query options: the mart database, a cluster, and TLS for clickhouse-driver
URL_OPTIONS = ("database", "cluster")
TLS_OPTIONS = ("secure", "verify", "ca_certs", "certfile", "keyfile")


@dataclass(frozen=True)
class ClickHouseURL:
    """CLICKHOUSE_URL: clickhouse://user:password@host:port/db (a server) or chdb:///abs/path (embedded).
    `?database=` names the mart database (default mart), `?cluster=` a ClickHouse cluster for the mart.
    A server URL also takes TLS options: `secure=1` (TLS, default port 9440), `verify=0` (do not check
    the server's certificate), `ca_certs=/path` (the CA bundle to check it with; default: certifi's),
    `certfile=/path` and `keyfile=/path` (a client certificate). An option not listed is an error."""

    kind: str  # "server" or "chdb"
    database: str
    cluster: str | None = None
    path: str = ""
    host: str = ""
    port: int = 9000
    user: str = "default"
    password: str = field(default="", repr=False)
    tls: tuple[tuple[str, object], ...] = ()  # clickhouse-driver's TLS arguments, from the TLS options

    @classmethod
    def parse(cls, url: str) -> "ClickHouseURL":
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        known = URL_OPTIONS + (TLS_OPTIONS if parts.scheme == "clickhouse" else ())
        unknown = sorted(set(query) - set(known))
        if unknown:
            raise PipelineError("mart", f"CLICKHOUSE_URL option {unknown[0]} is not known (known: {', '.join(known)})")
        if parts.scheme == "chdb":
            if not parts.path.startswith("/") or parts.netloc:
                raise PipelineError("mart", "CLICKHOUSE_URL for chDB must be chdb:///absolute/path")
            database = identifier(query.get("database", "mart"), "the mart database")
            return cls(kind="chdb", database=database, path=parts.path, cluster=cluster_of(query))
        if parts.scheme == "clickhouse":
            if not parts.hostname:
                raise PipelineError("mart", "CLICKHOUSE_URL must name a host: clickhouse://user:password@host:9000/db")
            database = identifier(parts.path.strip("/") or query.get("database", "mart"), "the mart database")
            tls = tls_of(query)
            return cls(
                kind="server",
                database=database,
                host=parts.hostname,
                port=parts.port or (9440 if dict(tls).get("secure") else 9000),
                user=unquote(parts.username or "default"),
                password=unquote(parts.password or ""),
                cluster=cluster_of(query),
                tls=tls,
            )
        raise PipelineError("mart", "CLICKHOUSE_URL must start with clickhouse:// or chdb://")

    @property
    def data_table(self) -> str:
        """The table the mart is loaded into and read from: on a cluster, the Distributed one."""
        return "dm_courses_modules_lessons_streams_" + ("all" if self.cluster else "data")

    def masked(self) -> str:
        if self.kind == "chdb":
            return f"chdb://{self.path} (database {self.database})"
        secure = "?secure=1" if dict(self.tls).get("secure") else ""
        return f"clickhouse://{self.user}:********@{self.host}:{self.port}/{self.database}{secure}"


def cluster_of(query: dict) -> str | None:
    return identifier(query["cluster"], "the ClickHouse cluster") if query.get("cluster") else None


def tls_of(query: dict) -> tuple[tuple[str, object], ...]:
    """clickhouse-driver's TLS arguments from CLICKHOUSE_URL's options: secure and verify are 0 or 1
    (true/false), the others paths."""
    tls = []
    for key in TLS_OPTIONS:
        if key not in query:
            continue
        value = query[key]
        if key in ("secure", "verify"):
            if value.lower() not in ("0", "1", "true", "false"):
                raise PipelineError("mart", f"CLICKHOUSE_URL option {key} must be 0 or 1, got {value!r}")
            value = value.lower() in ("1", "true")
        tls.append((key, value))
    return tuple(tls)


def secrets_of(*dsns: str | None) -> list[str]:
    """The passwords in these DSNs or ClickHouse URLs, and the DSNs themselves, longest first: what
    must never reach a page, a metric or an alert."""
    found = set()
    for dsn in filter(None, dsns):
        found.add(dsn)
        if dsn.startswith(("clickhouse://", "chdb://")):
            found.add(unquote(urlsplit(dsn).password or ""))
        else:
            try:
                found.add(conninfo_to_dict(dsn).get("password") or "")
            except Exception:
                pass  # a malformed DSN: the DSN itself is still masked
    return sorted(filter(None, found), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """text with every secret replaced by ********: as written, as quoted in SQL (a server's syntax error
    quotes the statement from where it failed, and a binding statement carries the password) and
    HTML-escaped (a page)."""
    from html import escape

    for secret in secrets:
        sql_quoted = (secret.replace("'", "''"), secret.replace("\\", "\\\\").replace("'", "\\'"))
        for form in (secret, *sql_quoted, escape(secret)):
            text = text.replace(form, MASK)
    return text
