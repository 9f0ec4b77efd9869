"""Shared fixtures: services the integration tests need, and the rule for missing ones.

Integration tests talk to real services started by ``scripts/services start`` (a Kafka broker from Maven Central
jars, PostgreSQL from Debian's packages), which exports their addresses:

- ``JEMPUT_TEST_KAFKA_BOOTSTRAP``: host:port of a Kafka broker;
- ``JEMPUT_TEST_DATABASE_URL``: SQLAlchemy URL of an empty PostgreSQL database the tests may write to;
- ``JEMPUT_TEST_IMAP``: ``host:port:user:password`` of an IMAP server (dovecot, ``scripts/dovecot``) with one
  test user, and ``JEMPUT_TEST_IMAP_TLS``: ``host:imaps_port:ca_file`` when it also speaks TLS.

When one is missing, tests that need it are skipped with the reason on a laptop, and fail when ``CI=true``.
The same rule holds for ``../shared`` data.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import hypothesis  # noqa: F401 - imported up front: a lazy import at the end of a run trips a CPython 3.11 AST bug
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` unless running in CI, where a missing requirement is a failure."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    value = os.environ.get("JEMPUT_TEST_KAFKA_BOOTSTRAP", "")
    require(bool(value), "no Kafka broker: run the tests through scripts/test (or set JEMPUT_TEST_KAFKA_BOOTSTRAP)")
    return value


@pytest.fixture(scope="session")
def postgres_url() -> str:
    value = os.environ.get("JEMPUT_TEST_DATABASE_URL", "")
    require(bool(value), "no PostgreSQL: run the tests through scripts/test (or set JEMPUT_TEST_DATABASE_URL)")
    return value


@pytest.fixture
def fresh_postgres_url(postgres_url: str):
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic and group names, so tests sharing one broker never collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    require(SHARED_DATA.is_dir(), f"../shared/data not found at {SHARED_DATA}")
    return SHARED_DATA


@dataclass(frozen=True)
class ImapServer:
    """A real IMAP server the tests may write to: plain (and STARTTLS) on ``port``, IMAPS on ``tls_port``."""

    host: str
    port: int
    user: str
    password: str
    tls_port: int | None = None
    ca_file: str | None = None


@pytest.fixture(scope="session")
def imap_server() -> ImapServer:
    value = os.environ.get("JEMPUT_TEST_IMAP", "")
    require(bool(value), "no IMAP server: run the tests through scripts/test (or export the JEMPUT_TEST_IMAP line "
            "scripts/dovecot start prints)")
    try:
        host, port, user, password = value.split(":", 3)
        server = ImapServer(host, int(port), user, password)
    except ValueError:
        pytest.fail(f"JEMPUT_TEST_IMAP must be host:port:user:password, got {value!r}", pytrace=False)
    tls = os.environ.get("JEMPUT_TEST_IMAP_TLS", "")
    if tls:
        _tls_host, tls_port, ca_file = tls.split(":", 2)
        server = ImapServer(host, int(port), user, password, int(tls_port), ca_file)
    return server

