"""The deployment files: docker-compose.yml, .env.example, Dockerfile, .dockerignore.

No container is started here: the files are parsed and checked for what a production deployment needs
(pinned images, health checks, start order, named volumes, no secret in a file that is committed or built
into the image), and docker-compose.yml is interpolated the way compose does it, with .env.example as .env.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from pipeline.config import ClickHouseURL

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
DATABASES = ("source", "warehouse", "clickhouse")
RUNNER_VARIABLES = ("SOURCE_DSN", "WAREHOUSE_DSN", "CLICKHOUSE_URL", "WAREHOUSE_DSN_FOR_MART")
UNPINNED_TAGS = {"latest", "head", "main", "master", "stable", "lts", "nightly", "edge"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN", re.IGNORECASE)

# Compose interpolation: $$ is a literal $, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}.
REFERENCE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class Unset(Exception):
    """A ${NAME:?error} reference whose variable is unset: compose refuses to start."""


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"{path.name}: not NAME=value: {line!r}"
            pairs[name.strip()] = value.strip()
    return pairs


ENV_EXAMPLE = env_file(ROOT / ".env.example")


def interpolate(text: str, env: dict[str, str]) -> str:
    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        value = env.get(name)
        missing = value is None or (value == "" and op is not None and op.startswith(":"))
        if op and op.endswith("?") and missing:
            raise Unset(f"{name}: {arg}")
        if op and op.endswith("-") and missing:
            return arg
        return value or ""

    return REFERENCE.sub(substitute, text)


def interpolated(node, env: dict[str, str]):
    """The parsed compose file with every value interpolated (compose does not touch comments)."""
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    return interpolate(node, env) if isinstance(node, str) else node


def references():
    for text in strings(COMPOSE):
        yield from (match for match in REFERENCE.finditer(text) if match.group("name"))


def rendered_services(env: dict[str, str] = ENV_EXAMPLE) -> dict:
    return interpolated(COMPOSE, env)["services"]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: str(value) for key, value in env.items()}


def image_is_pinned(image: str) -> bool:
    reference = image.split("@", 1)[0]
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:  # no tag at all (a ':' before the last '/' is a registry port)
        return False
    return bool(name) and tag.lower() not in UNPINNED_TAGS and any(c.isdigit() for c in tag)


def strings(node):
    """Every string in a parsed YAML document, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def test_the_four_services_exist():
    assert set(SERVICES) == {*DATABASES, "runner"}


@pytest.mark.parametrize(
    "image, pinned",
    [
        ("postgres:16.11-bookworm", True),
        ("clickhouse/clickhouse-server:25.3.14.14", True),
        ("registry.internal:5000/postgres:16.11@sha256:abc", True),
        ("postgres", False),
        ("postgres:latest", False),
        ("clickhouse/clickhouse-server:head", False),
        ("postgres:bookworm", False),
        ("registry.internal:5000/postgres", False),
    ],
)
def test_image_pin_rule(image, pinned):
    assert image_is_pinned(image) is pinned


def test_every_image_is_pinned():
    for name in DATABASES:
        assert image_is_pinned(SERVICES[name].get("image", "")), f"{name}: image {SERVICES[name].get('image')!r}"
    for name, service in SERVICES.items():
        if "image" in service:
            assert image_is_pinned(service["image"]), f"{name}: image {service['image']!r} is not pinned"
        else:
            assert "build" in service, f"{name}: neither an image nor a build"
    assert "build" in SERVICES["runner"]


def test_source_and_warehouse_run_the_same_postgres_16():
    assert SERVICES["source"]["image"] == SERVICES["warehouse"]["image"]
    assert SERVICES["source"]["image"].startswith("postgres:16.")
    assert SERVICES["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")


def test_every_service_has_a_healthcheck():
    for name, service in SERVICES.items():
        check = service.get("healthcheck") or {}
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        assert check.get("test"), f"{name}: no healthcheck"
    for name in ("source", "warehouse"):
        assert "pg_isready" in " ".join(SERVICES[name]["healthcheck"]["test"])
    assert " ".join(SERVICES["runner"]["healthcheck"]["test"]).endswith("runner.py status --healthcheck")


def test_runner_starts_after_the_databases_are_healthy():
    depends_on = SERVICES["runner"].get("depends_on")
    assert isinstance(depends_on, dict), "depends_on must be the long form, with conditions"
    for name in DATABASES:
        assert depends_on.get(name, {}).get("condition") == "service_healthy", name


def test_runner_runs_the_schedule_and_restarts():
    runner = SERVICES["runner"]
    assert runner["command"] in (["python", "runner.py", "schedule"], "python runner.py schedule")
    assert runner["restart"] == "unless-stopped"


def test_named_volumes_are_declared_and_used():
    declared = set(COMPOSE.get("volumes") or {})
    used, mounts = set(), {}
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) else volume.split(":")[:2]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source!r} is not declared at top level"
                used.add(source)
                mounts[(name, target)] = source
    assert declared and declared == used, f"declared but unused: {declared - used}"
    for name, target in [
        ("source", "/var/lib/postgresql/data"),
        ("warehouse", "/var/lib/postgresql/data"),
        ("clickhouse", "/var/lib/clickhouse"),
    ]:
        assert (name, target) in mounts, f"{name}: no named volume on {target}"


def test_source_is_seeded_read_only_with_the_demo_catalog():
    seed = [v for v in SERVICES["source"]["volumes"] if "/docker-entrypoint-initdb.d/" in str(v)]
    assert len(seed) == 1
    host_path, _, mode = seed[0].split(":")
    assert (ROOT / host_path).resolve() == ROOT / "demo" / "source_catalog.sql"
    assert mode == "ro"
    assert environment(SERVICES["source"])["POSTGRES_DB"] == "school"
    assert environment(SERVICES["warehouse"])["POSTGRES_DB"] == "warehouse"


def test_clickhouse_settings():
    clickhouse = SERVICES["clickhouse"]
    assert environment(clickhouse)["CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT"] == "1"
    assert clickhouse["ulimits"]["nofile"] == {"soft": 262144, "hard": 262144}
    # The runner drops and creates a named collection: its user needs named_collection_control.
    entrypoint = " ".join(clickhouse["entrypoint"])
    assert "<named_collection_control>1</named_collection_control>" in entrypoint
    assert entrypoint.endswith("exec /entrypoint.sh")


def test_no_literal_password_in_compose():
    assert "change-me" not in COMPOSE_TEXT
    for name, service in SERVICES.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert REFERENCE.fullmatch(value), f"{name}: {key} is not a ${{VAR}} reference"
    for text in strings(COMPOSE):
        for match in re.finditer(r"[a-z]+://[^/@\s]*:(?P<password>[^@\s]*)@", text):
            assert REFERENCE.fullmatch(match.group("password")), f"literal password in {text!r}"


def test_passwords_fail_loudly_when_unset():
    secrets = {match.group("name") for match in references() if SECRET_NAME.search(match.group("name"))}
    assert secrets
    for match in references():
        if match.group("name") in secrets:
            assert match.group("op") == ":?", f"{match.group(0)} must be ${{{match.group('name')}:?message}}"
    for name in secrets:
        without = {key: value for key, value in ENV_EXAMPLE.items() if key != name}
        with pytest.raises(Unset):
            interpolated(COMPOSE, without)


def test_every_variable_is_defined_in_env_example():
    names = {match.group("name") for match in references()}
    assert names, "docker-compose.yml takes nothing from the environment"
    assert names <= set(ENV_EXAMPLE), f"not in .env.example: {sorted(names - set(ENV_EXAMPLE))}"
    # A bare $NAME would be interpolated too, and escape this check: only ${NAME} and $$ are used.
    for text in strings(COMPOSE):
        assert "$" not in REFERENCE.sub("", text), text


def test_env_example_has_placeholder_passwords_only():
    secrets = {key: value for key, value in ENV_EXAMPLE.items() if SECRET_NAME.search(key)}
    assert secrets
    for key, value in secrets.items():
        assert value.startswith("change-me"), f"{key} in .env.example is not a placeholder"


def test_env_is_ignored_by_git_and_docker():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".git", "data/"):
        assert entry in dockerignore, f".dockerignore does not exclude {entry}"


def test_runner_environment_reaches_the_compose_databases():
    assert set(RUNNER_VARIABLES) <= set(environment(SERVICES["runner"]))
    services = rendered_services()
    runner = environment(services["runner"])
    for variable, host in [
        ("SOURCE_DSN", "source"),
        ("WAREHOUSE_DSN", "warehouse"),
        ("WAREHOUSE_DSN_FOR_MART", "warehouse"),
    ]:
        parts = conninfo_to_dict(runner[variable])
        database = environment(services[host])
        assert urlsplit(runner[variable]).scheme == "postgresql", variable
        assert (parts["host"], parts["port"]) == (host, "5432"), variable
        assert parts["dbname"] == database["POSTGRES_DB"], variable
        assert (parts["user"], parts["password"]) == (database["POSTGRES_USER"], database["POSTGRES_PASSWORD"])
    url = ClickHouseURL.parse(runner["CLICKHOUSE_URL"])
    clickhouse = environment(services["clickhouse"])
    assert (url.kind, url.host, url.port, url.database) == ("server", "clickhouse", 9000, "mart")
    assert (url.user, url.password) == (clickhouse["CLICKHOUSE_USER"], clickhouse["CLICKHOUSE_PASSWORD"])
    assert runner["SCHEDULE_EVERY"] == ENV_EXAMPLE["SCHEDULE_EVERY"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_base_is_pinned():
    bases = [args.split() for op, args in dockerfile_instructions() if op == "FROM"]
    assert bases
    for words in bases:
        image = next(word for word in words if not word.startswith("--"))
        assert image_is_pinned(image), f"FROM {image} is not pinned"
        assert image.startswith("python:3.11"), image


def test_dockerfile_runs_as_a_non_root_user():
    users = [args.strip() for op, args in dockerfile_instructions() if op == "USER"]
    assert users, "no USER line"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0", ""), f"USER {users[-1]}"


def test_dockerfile_installs_without_cache_and_holds_no_secret():
    instructions = dockerfile_instructions()
    installs = [args for op, args in instructions if op == "RUN" and "pip install" in args]
    assert installs and all("--no-cache-dir" in args and "requirements.txt" in args for args in installs)
    for op, args in instructions:
        if op in ("ENV", "ARG"):
            assert not SECRET_NAME.search(args), f"{op} {args}"
    cmd = [args for op, args in instructions if op == "CMD"]
    assert cmd == ['["python", "runner.py", "schedule"]']
