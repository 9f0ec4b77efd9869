"""The Gammu SMSD inbox poller against real databases: SQLite always, PostgreSQL when the tests have one.

The ``inbox`` table is created from Gammu SMSD's documented schema (docs/sql/sqlite.sql and pgsql.sql of Gammu
1.4x, schema version 17: ``Processed`` is 'false'/'true' text on SQLite and a boolean on PostgreSQL), and rows are
inserted the way gammu-smsd writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.settings import Settings
from harvester.pollers.base import PollResult
from harvester.pollers.gammu import GammuPoller, build
from harvester.privacy import mask_phone
from pipeline.contract import LocatedMessage
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref
from sink.store import TicketStore

HASH_KEY = "test-author-hash-key"

SQLITE_DDL = [
    """CREATE TABLE inbox (
  UpdatedInDB NUMERIC NOT NULL DEFAULT (datetime('now')),
  ReceivingDateTime NUMERIC NOT NULL DEFAULT (datetime('now')),
  Text TEXT NOT NULL,
  SenderNumber TEXT NOT NULL DEFAULT '',
  Coding TEXT NOT NULL DEFAULT 'Default_No_Compression',
  UDH TEXT NOT NULL,
  SMSCNumber TEXT NOT NULL DEFAULT '',
  Class INTEGER NOT NULL DEFAULT -1,
  TextDecoded TEXT NOT NULL DEFAULT '',
  ID INTEGER PRIMARY KEY AUTOINCREMENT,
  RecipientID TEXT NOT NULL,
  Processed TEXT NOT NULL DEFAULT 'false',
  Status INTEGER NOT NULL DEFAULT -1,
  CHECK (Coding IN ('Default_No_Compression','Unicode_No_Compression','8bit','Default_Compression',
                    'Unicode_Compression')),
  CHECK (Processed IN ('false', 'true'))
)""",
    """CREATE TRIGGER update_inbox_time UPDATE ON inbox
  BEGIN
    UPDATE inbox SET UpdatedInDB = datetime('now') WHERE ID = old.ID;
  END""",
]

PGSQL_DDL = [
    """CREATE TABLE inbox (
  "UpdatedInDB" timestamp(0) WITHOUT time zone NOT NULL DEFAULT LOCALTIMESTAMP(0),
  "ReceivingDateTime" timestamp(0) WITHOUT time zone NOT NULL DEFAULT LOCALTIMESTAMP(0),
  "Text" text NOT NULL,
  "SenderNumber" varchar(20) NOT NULL DEFAULT '',
  "Coding" varchar(255) NOT NULL DEFAULT 'Default_No_Compression',
  "UDH" text NOT NULL,
  "SMSCNumber" varchar(20) NOT NULL DEFAULT '',
  "Class" integer NOT NULL DEFAULT -1,
  "TextDecoded" text NOT NULL DEFAULT '',
  "ID" serial PRIMARY KEY,
  "RecipientID" text NOT NULL,
  "Processed" boolean NOT NULL DEFAULT false,
  "Status" integer NOT NULL DEFAULT -1,
  CHECK ("Coding" IN ('Default_No_Compression','Unicode_No_Compression','8bit','Default_Compression',
                      'Unicode_Compression'))
)""",
]


class Inbox:
    """A Gammu inbox in a real database, filled the way gammu-smsd fills it."""

    def __init__(self, url: str, backend: str) -> None:
        self.url = url
        self.backend = backend
        self.engine = sa.create_engine(url)
        with self.engine.begin() as conn:
            for stmt in SQLITE_DDL if backend == "sqlite" else PGSQL_DDL:
                conn.exec_driver_sql(stmt)

    def add(self, text: str, sender: str = "+6280000000001", *, when: str = "2026-11-20 08:30:00", udh: str = "",
            coding: str = "Default_No_Compression") -> int:
        values = {"ReceivingDateTime": when, "Text": text.encode("utf-16-be").hex().upper(), "SenderNumber": sender,
                  "Coding": coding, "UDH": udh, "SMSCNumber": "+62800000000099", "Class": -1, "TextDecoded": text,
                  "RecipientID": "jemput-modem-1"}
        if self.backend == "postgresql":
            values["ReceivingDateTime"] = datetime.fromisoformat(when)
        cols = ", ".join(f'"{k}"' for k in values)
        params = ", ".join(f":{k}" for k in values)
        with self.engine.begin() as conn:  # plain SQL, as gammu-smsd writes it
            return int(conn.execute(sa.text(f'INSERT INTO inbox ({cols}) VALUES ({params}) RETURNING "ID"'),
                                    values).scalar_one())

    def processed(self) -> dict[int, bool]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text('SELECT "ID", "Processed" FROM inbox')).all()
        return {int(i): (p is True or p == "true") for i, p in rows}


@pytest.fixture(params=["sqlite", "postgresql"])
def inbox(request, tmp_path: Path):
    if request.param == "sqlite":
        box = Inbox(f"sqlite:///{tmp_path / 'smsd.db'}", "sqlite")
    else:
        box = Inbox(request.getfixturevalue("fresh_postgres_url"), "postgresql")
    yield box
    box.engine.dispose()


def poller_for(inbox: Inbox, **gammu) -> GammuPoller:
    settings = Settings(harvester={"gammu": {"database_url": inbox.url, **gammu}},
                        privacy={"author_hash_key": HASH_KEY})
    poller = build(settings)
    assert isinstance(poller, GammuPoller)
    return poller


def run_once(poller: GammuPoller, cursor: str | None, *, ack: bool = True) -> PollResult:
    """What the harvest runner does: poll, (produce + flush), save the cursor, acknowledge."""
    result = poller.poll(cursor)
    if ack:
        poller.acknowledge(result)
    return result


def test_rows_become_messages_and_are_marked_only_after_acknowledge(inbox: Inbox):
    a = inbox.add("banjir di kemang, air 50 cm", "+62 800-0000-0001")
    b = inbox.add("sampah numpuk di tebet 3 hari", "0800-0000-0002", when="2026-11-21 23:59:59")
    poller = poller_for(inbox)
    result = poller.poll(None)
    assert [m.text for m in result.messages] == ["banjir di kemang, air 50 cm", "sampah numpuk di tebet 3 hari"]
    m1, m2 = result.messages
    assert m1.message_id.startswith(f"sms:gammu-{a}-") and m2.message_id.startswith(f"sms:gammu-{b}-")
    assert m1.channel == "sms"
    assert m1.author_ref == author_ref(HASH_KEY, "sms", "+62 800-0000-0001")
    assert m2.author_ref == author_ref(HASH_KEY, "sms", "+62 800 0000 0002")  # 08.. and +628.. are one person
    assert m1.posted_at == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 08:30 WIB
    assert m2.posted_at == datetime(2026, 11, 21, 16, 59, 59, tzinfo=UTC)
    assert m1.raw["sender"] == mask_phone("+62 800-0000-0001")
    for m in result.messages:
        dumped = m.model_dump_json()
        assert "800-0000-000" not in dumped and "80000000001" not in dumped and "80000000002" not in dumped
    assert m1.raw["recipient_id"] == "jemput-modem-1" and m1.raw["inbox_ids"] == [a]
    assert result.cursor == str(b) and result.more is False
    assert sorted(result.to_acknowledge) == sorted([str(a), str(b)])
    # Nothing is marked until the runner acknowledges (after its flush).
    assert inbox.processed() == {a: False, b: False}
    poller.acknowledge(result)
    assert inbox.processed() == {a: True, b: True}
    assert poller.poll(result.cursor).messages == []
    assert "0 unprocessed" in poller.check()
    poller.close()


def test_crash_before_acknowledge_reads_the_same_ids_again(inbox: Inbox, tmp_path: Path):
    for i in range(3):
        inbox.add(f"jalan berlubang no {i}", f"+62 800-0000-{i:04d}")
    first = poller_for(inbox)
    before = first.poll(None)
    first.close()  # crash: produced (maybe) but never acknowledged
    again = poller_for(inbox)
    after = run_once(again, before.cursor)
    assert [m.message_id for m in after.messages] == [m.message_id for m in before.messages]
    assert all(inbox.processed().values())
    # Produced twice downstream, one ticket each in the real ticket store.
    store = TicketStore(f"sqlite:///{tmp_path / 'tickets.sqlite3'}")
    store.migrate()
    try:
        for batch in (before.messages, after.messages):
            store.write_batch([LocatedMessage(**m.model_dump(), category="damaged_road", confidence=0.8,
                                              model_version="test", geocoder_version="test") for m in batch])
        assert store.count() == 3
    finally:
        store.close()
    again.close()


def test_batches_follow_id_order_with_more(inbox: Inbox):
    ids = [inbox.add(f"laporan {i}") for i in range(7)]
    poller = poller_for(inbox, batch_size=3)
    seen: list[str] = []
    cursor = None
    polls = 0
    while True:
        result = run_once(poller, cursor)
        polls += 1
        seen += [m.text for m in result.messages]
        cursor = result.cursor
        if not result.more:
            break
    assert seen == [f"laporan {i}" for i in range(7)]
    assert cursor == str(ids[-1]) and polls == 3
    poller.close()


def test_concatenated_sms_is_joined_and_incomplete_ones_wait(inbox: Inbox):
    clock = [1000.0]
    # A 3-part SMS with an 8-bit reference, parts arriving out of order, interleaved with a single SMS.
    p3 = inbox.add("jam.", "+62 800-0000-0007", udh="050003A70303")
    p1 = inbox.add("Lampu jalan di Jl. Kemang Raya mati ", "+62 800-0000-0007", udh="050003A70301")
    single = inbox.add("terima kasih", "+62 800-0000-0008")
    p2 = inbox.add("sudah 3 malam, rawan sekali di atas ", "+62 800-0000-0007", udh="050003A70302")
    # A 2-part SMS with a 16-bit reference whose second part has not arrived.
    q1 = inbox.add("Banjir setinggi lutut di ", "+62 800-0000-0009", udh="06080412340201")
    settings = Settings(harvester={"gammu": {"database_url": inbox.url, "multipart_wait_s": 60}},
                        privacy={"author_hash_key": HASH_KEY})
    poller = GammuPoller("gammu", settings.harvester.gammu, HASH_KEY, clock=lambda: clock[0])
    result = run_once(poller, None)
    texts = [m.text for m in result.messages]
    assert texts == ["Lampu jalan di Jl. Kemang Raya mati sudah 3 malam, rawan sekali di atas jam.", "terima kasih"]
    joined = result.messages[0]
    assert joined.message_id.startswith(f"sms:gammu-{p3}-")  # the lowest row ID of its parts
    assert joined.raw["parts"] == {"total": 3, "received": [1, 2, 3], "reference": 0xA7}
    assert joined.raw["incomplete"] is False and joined.raw["inbox_ids"] == sorted([p1, p2, p3])
    assert inbox.processed() == {p3: True, p1: True, single: True, p2: True, q1: False}

    # Still waiting: nothing new. Its other part arrives: joined.
    clock[0] += 30
    assert run_once(poller, result.cursor).messages == []
    q2 = inbox.add("Jl. Tebet Barat Dalam", "+62 800-0000-0009", udh="06080412340202")
    later = run_once(poller, result.cursor)
    assert [m.text for m in later.messages] == ["Banjir setinggi lutut di Jl. Tebet Barat Dalam"]
    assert inbox.processed()[q2] is True

    # A part that never gets its sibling is passed on after multipart_wait_s, marked incomplete.
    r1 = inbox.add("Tolong segera ", "+62 800-0000-0010", udh="050003110201")
    assert run_once(poller, later.cursor).messages == []
    clock[0] += 61
    last = run_once(poller, later.cursor)
    [lonely] = last.messages
    assert lonely.text == "Tolong segera " and lonely.raw["incomplete"] is True
    assert lonely.message_id.startswith(f"sms:gammu-{r1}-")
    assert all(inbox.processed().values())
    poller.close()


def test_binary_and_empty_sms_are_rejected_and_acknowledged(inbox: Inbox):
    binary = inbox.add("", coding="8bit")
    empty = inbox.add("   ")
    good = inbox.add("pohon tumbang di jl. sudirman")
    poller = poller_for(inbox)
    result = run_once(poller, None)
    assert [m.text for m in result.messages] == ["pohon tumbang di jl. sudirman"]
    reasons = {r.ref: r.reason for r in result.rejected}
    assert reasons == {f"inbox ID {binary}": "8-bit (binary) SMS: no text to read", f"inbox ID {empty}": "empty SMS"}
    assert inbox.processed() == {binary: True, empty: True, good: True}
    poller.close()


def test_without_marking_the_table_is_never_written_and_the_cursor_leads(inbox: Inbox):
    a = inbox.add("satu")
    b = inbox.add("dua")
    poller = poller_for(inbox, mark_processed=False)
    result = run_once(poller, None)
    assert [m.text for m in result.messages] == ["satu", "dua"] and result.cursor == str(b)
    assert inbox.processed() == {a: False, b: False}
    c = inbox.add("tiga")
    result = run_once(poller, result.cursor)
    assert [m.text for m in result.messages] == ["tiga"] and result.cursor == str(c)
    assert run_once(poller, result.cursor).messages == []
    assert not any(inbox.processed().values())
    poller.close()


def test_missing_table_and_unreachable_database(tmp_path: Path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    sa.create_engine(empty).connect().close()
    poller = build(Settings(harvester={"gammu": {"database_url": empty}}))
    with pytest.raises(PermanentError, match="no 'inbox' table"):
        poller.poll(None)
    poller = build(Settings(harvester={"gammu": {"database_url": f"sqlite:///{tmp_path / 'no' / 'dir' / 'x.db'}"}}))
    with pytest.raises(TransientError):
        poller.poll(None)
    with pytest.raises(PermanentError, match="database_url is not set"):
        build(Settings())
