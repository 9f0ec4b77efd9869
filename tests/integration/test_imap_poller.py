"""The IMAP poller against a real dovecot on loopback (scripts/dovecot): mails APPENDed with imaplib become
RawMessages; the UID cursor advances and survives a restart; a UIDVALIDITY change restarts without new ids;
plain, STARTTLS and IMAPS connections; login and certificate failures are classified."""

from __future__ import annotations

import imaplib
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

import pytest

from config.settings import Settings
from harvester.pollers.base import PollResult
from harvester.pollers.email import ImapPoller, build
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref
from tests.conftest import ImapServer

HASH_KEY = "test-author-hash-key"
DATE = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def plain_mail(i: int, *, subject: str | None = None, body: str | None = None, sender: str | None = None,
               message_id: str | None = "auto") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender or f"Warga {i} <warga{i}@example.org>"
    msg["To"] = "pengaduan@jakarta.test"
    msg["Subject"] = subject if subject is not None else f"Banjir di Kemang no {i}"
    msg["Date"] = format_datetime(DATE)
    if message_id == "auto":
        msg["Message-ID"] = f"<plain-{i}@test.jemput.example>"
    elif message_id is not None:
        msg["Message-ID"] = message_id
    msg.set_content(body if body is not None else f"Air sudah 50 cm masuk rumah, tolong dibantu. Laporan {i}.")
    return msg.as_bytes()


def html_only_mail() -> bytes:
    html = ("<html><head><title>ignored title</title><style>p {color: red}</style></head><body>"
            "<p>Sampah menumpuk di <b>Jl. Tebet Raya</b> &amp; sekitarnya.</p><script>alert('x')</script>"
            "<ul><li>sudah 3 hari</li><li>bau sekali</li></ul><div>Terima&nbsp;kasih</div></body></html>")
    msg = MIMEText(html, "html", "utf-8")
    msg["From"] = "Ibu Sari <sari.tebet@example.org>"
    msg["To"] = "pengaduan@jakarta.test"
    msg["Subject"] = "Sampah"
    msg["Date"] = format_datetime(DATE)
    msg["Message-ID"] = "<html-1@test.jemput.example>"
    return msg.as_bytes()


PHOTO = bytes(range(256)) * 10  # 2,560 bytes standing in for a JPEG


def attachment_mail() -> bytes:
    msg = MIMEMultipart("mixed")
    msg["From"] = "budi@example.org"
    msg["To"] = "pengaduan@jakarta.test, Kelurahan <kel.tebet@jakarta.test>"
    msg["Subject"] = "Jalan berlubang (foto terlampir)"
    msg["Date"] = format_datetime(DATE)
    msg["Message-ID"] = "<attach-1@test.jemput.example>"
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("Lubang besar di Jl. Casablanca, hubungi saya di 0800-0000-1234.", "plain", "utf-8"))
    alt.attach(MIMEText("<p>HTML version that must not win</p>", "html", "utf-8"))
    msg.attach(alt)
    photo = MIMEApplication(PHOTO, "jpeg")
    photo.replace_header("Content-Type", "image/jpeg")
    photo.add_header("Content-Disposition", "attachment", filename="lubang.jpg")
    msg.attach(photo)
    pdf = MIMEApplication(b"%PDF-1.4 test", "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename="surat.pdf")
    msg.attach(pdf)
    return msg.as_bytes()


def latin1_mail() -> bytes:
    body = "Lampu jalan mati di depan café Menteng, sudah 2 minggu. Très dangereux."
    return (
        b"From: =?iso-8859-1?q?Andr=E9?= <andre@example.org>\r\n"
        b"To: pengaduan@jakarta.test\r\n"
        b"Subject: =?iso-8859-1?q?Lampu_mati_di_caf=E9?=\r\n"
        b"Date: Fri, 20 Nov 2026 15:30:00 +0700\r\n"
        b"Message-ID: <latin1-1@test.jemput.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode("iso-8859-1") + b"\r\n"
    )


def auto_reply_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "dinas@jakarta.test"
    msg["To"] = "pengaduan@jakarta.test"
    msg["Subject"] = "Out of office"
    msg["Auto-Submitted"] = "auto-replied"
    msg["Message-ID"] = "<ooo-1@test.jemput.example>"
    msg.set_content("Saya sedang cuti.")
    return msg.as_bytes()


class Mailbox:
    """A folder of the test user on the real server, created for one test and deleted after it."""

    def __init__(self, server: ImapServer, folder: str) -> None:
        self.server = server
        self.folder = folder
        with self.session() as imap:
            typ, data = imap.create(folder)
            assert typ == "OK", data

    def session(self):
        mailbox = self

        class _S:
            def __enter__(self) -> imaplib.IMAP4:
                self.imap = imaplib.IMAP4(mailbox.server.host, mailbox.server.port, timeout=10)
                self.imap.login(mailbox.server.user, mailbox.server.password)
                return self.imap

            def __exit__(self, *exc: object) -> None:
                self.imap.logout()

        return _S()

    def append(self, *mails: bytes) -> None:
        with self.session() as imap:
            for mail in mails:
                typ, data = imap.append(self.folder, None, imaplib.Time2Internaldate(time.time()), mail)
                assert typ == "OK", data

    def recreate(self) -> None:
        with self.session() as imap:
            assert imap.delete(self.folder)[0] == "OK"
            assert imap.create(self.folder)[0] == "OK"

    def uidvalidity(self) -> int:
        with self.session() as imap:
            imap.select(self.folder, readonly=True)
            return int(imap.response("UIDVALIDITY")[1][0])

    def flags(self) -> list[str]:
        with self.session() as imap:
            imap.select(self.folder, readonly=True)
            typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            return [d.decode() for d in data if isinstance(d, bytes)]

    def drop(self) -> None:
        with self.session() as imap:
            imap.delete(self.folder)


@pytest.fixture
def mailbox(imap_server: ImapServer, unique: str) -> Iterator[Mailbox]:
    box = Mailbox(imap_server, f"jemput-{unique}")
    yield box
    box.drop()


def poller(server: ImapServer, folder: str, **email) -> ImapPoller:
    cfg = {"host": server.host, "port": server.port, "security": "none", "username": server.user,
           "password": server.password, "folder": folder, **email}
    p = build(Settings(harvester={"email": cfg}, privacy={"author_hash_key": HASH_KEY}))
    assert isinstance(p, ImapPoller)
    return p


def drain(p: ImapPoller, cursor: str | None, *, bound: int = 50) -> tuple[list[PollResult], str | None]:
    """Poll as the harvest runner does (again at once while ``more``), acknowledging each page."""
    results = []
    for _ in range(bound):
        result = p.poll(cursor)
        p.acknowledge(result)
        results.append(result)
        cursor = result.cursor if result.cursor is not None else cursor
        if not result.more:
            break
    return results, cursor


def test_mails_become_messages(imap_server: ImapServer, mailbox: Mailbox):
    mailbox.append(plain_mail(1), html_only_mail(), attachment_mail(), latin1_mail(), auto_reply_mail(),
                   plain_mail(2, message_id=None))
    p = poller(imap_server, mailbox.folder)
    result = p.poll(None)
    validity = mailbox.uidvalidity()
    assert result.cursor == f"{validity}:6" and result.more is False
    assert result.to_acknowledge == [f"{validity}:{u}" for u in range(1, 7)]
    assert [(r.ref, r.reason) for r in result.rejected] == [
        (f"{mailbox.folder} UID 5", "automatic mail (Auto-Submitted: auto-replied), not a complaint")]
    plain, html, attach, latin1, no_id = result.messages

    assert plain.message_id == "email:plain-1@test.jemput.example" and plain.channel == "email"
    assert plain.text == "Banjir di Kemang no 1\n\nAir sudah 50 cm masuk rumah, tolong dibantu. Laporan 1."
    assert plain.author_ref == author_ref(HASH_KEY, "email", "warga1@example.org")
    assert plain.posted_at == DATE
    assert plain.raw["from"] == "w***@example.org" and plain.raw["uid"] == 1 and plain.raw["uidvalidity"] == validity
    assert "warga1@" not in plain.model_dump_json()

    assert html.message_id == "email:html-1@test.jemput.example"
    assert html.text == ("Sampah\n\nSampah menumpuk di Jl. Tebet Raya & sekitarnya.\n\n- sudah 3 hari\n\n- bau sekali"
                         "\n\nTerima kasih")  # &nbsp; is a space
    assert "alert" not in html.text and "color" not in html.text and "ignored title" not in html.text
    assert html.raw["body_source"] == "text/html"

    assert attach.text == ("Jalan berlubang (foto terlampir)\n\n"
                           "Lubang besar di Jl. Casablanca, hubungi saya di 0800-0000-1234.")
    assert attach.raw["body_source"] == "text/plain"
    files = attach.raw["attachments"]
    assert [(a["filename"], a["content_type"], a["size"], a["section"]) for a in files] == [
        ("lubang.jpg", "image/jpeg", len(PHOTO), "2"), ("surat.pdf", "application/pdf", 13, "3")]
    base = f"imap://{imap_server.host}:{imap_server.port}/{mailbox.folder};UIDVALIDITY={validity}/;UID=3/"
    assert attach.media == (base + ";SECTION=2", base + ";SECTION=3")
    assert attach.raw["to"] == ["p***@jakarta.test", "k***@jakarta.test"]
    # Bytes are never stored: the photo's bytes are not in the message.
    assert PHOTO[:64].hex() not in attach.model_dump_json() and "base64" not in attach.model_dump_json()

    assert latin1.text == ("Lampu mati di café\n\n"
                           "Lampu jalan mati di depan café Menteng, sudah 2 minggu. Très dangereux.")
    assert latin1.posted_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert latin1.author_ref == author_ref(HASH_KEY, "email", "andre@example.org")

    assert no_id.message_id.startswith("email:h-") and no_id.raw["message_id_header"] is None
    p.close()


def test_cursor_advances_and_a_restart_resumes_without_duplicates(imap_server: ImapServer, mailbox: Mailbox):
    mailbox.append(*[plain_mail(i) for i in range(5)])
    first = poller(imap_server, mailbox.folder, batch_size=2)
    results, cursor = drain(first, None)
    assert [len(r.messages) for r in results] == [2, 2, 1]
    validity = mailbox.uidvalidity()
    assert [r.cursor for r in results] == [f"{validity}:2", f"{validity}:4", f"{validity}:5"]
    seen = [m.message_id for r in results for m in r.messages]
    assert seen == [f"email:plain-{i}@test.jemput.example" for i in range(5)]

    # Nothing new: the cursor stays ("N:*" matches the last mail; it is not read again).
    again = first.poll(cursor)
    assert again.messages == [] and again.cursor == cursor and again.more is False

    # A restart (a new poller, the saved cursor) after more mail arrived: only the new mail, no gap.
    mailbox.append(plain_mail(5), plain_mail(6))
    restarted = poller(imap_server, mailbox.folder, batch_size=2)
    results, cursor = drain(restarted, cursor)
    assert [m.message_id for r in results for m in r.messages] == [
        "email:plain-5@test.jemput.example", "email:plain-6@test.jemput.example"]
    assert cursor == f"{validity}:7"
    # The mailbox was not changed (mark_seen is off).
    assert not any("\\Seen" in f for f in mailbox.flags())


def test_uidvalidity_change_restarts_from_the_beginning_with_the_same_ids(imap_server: ImapServer,
                                                                         mailbox: Mailbox):
    mailbox.append(plain_mail(1), plain_mail(2))
    p = poller(imap_server, mailbox.folder)
    first = p.poll(None)
    old_validity = mailbox.uidvalidity()
    mailbox.recreate()  # the server renumbers: a new UIDVALIDITY
    mailbox.append(plain_mail(1), plain_mail(2), plain_mail(3))
    new_validity = mailbox.uidvalidity()
    assert new_validity != old_validity
    second = p.poll(first.cursor)
    assert [m.message_id for m in second.messages] == [
        "email:plain-1@test.jemput.example", "email:plain-2@test.jemput.example", "email:plain-3@test.jemput.example"]
    assert {m.message_id for m in first.messages} < {m.message_id for m in second.messages}
    assert second.cursor == f"{new_validity}:3"


def test_mark_seen_flags_only_after_acknowledge(imap_server: ImapServer, mailbox: Mailbox):
    mailbox.append(plain_mail(1), plain_mail(2))
    p = poller(imap_server, mailbox.folder, mark_seen=True)
    result = p.poll(None)
    assert not any("\\Seen" in f for f in mailbox.flags())  # polling reads with PEEK, read-only
    p.acknowledge(result)
    flags = mailbox.flags()
    assert len(flags) == 2 and all("\\Seen" in f for f in flags)


def test_large_mail_is_read_by_its_headers_only(imap_server: ImapServer, mailbox: Mailbox):
    mailbox.append(plain_mail(1, body="banjir " * 400))
    p = poller(imap_server, mailbox.folder, max_message_bytes=1024)
    [m] = p.poll(None).messages
    assert m.raw["truncated"] is True and m.raw["size"] > 1024
    assert m.text.startswith("Banjir di Kemang no 1\n\n(message of ") and "banjir banjir" not in m.text
    assert m.message_id == "email:plain-1@test.jemput.example"


def test_tls_modes(imap_server: ImapServer, mailbox: Mailbox):
    if imap_server.tls_port is None:
        pytest.skip("the test IMAP server has no TLS (openssl was missing when scripts/dovecot started)")
    mailbox.append(plain_mail(1))
    starttls = poller(imap_server, mailbox.folder, security="starttls", ca_file=imap_server.ca_file)
    assert [m.text.split("\n")[0] for m in starttls.poll(None).messages] == ["Banjir di Kemang no 1"]
    imaps = poller(imap_server, mailbox.folder, security="ssl", port=imap_server.tls_port,
                   ca_file=imap_server.ca_file)
    assert "1 message(s)" in imaps.check()
    assert len(imaps.poll(None).messages) == 1
    # The self-signed certificate is not trusted without ca_file: a configuration error, not a retry.
    untrusted = poller(imap_server, mailbox.folder, security="ssl", port=imap_server.tls_port)
    with pytest.raises(PermanentError, match="certificate not trusted"):
        untrusted.poll(None)
    with pytest.raises(PermanentError, match="certificate not trusted"):
        poller(imap_server, mailbox.folder, security="starttls").poll(None)
    assert ssl.OPENSSL_VERSION  # the ssl module is the stdlib's; nothing else negotiates TLS here


def test_login_folder_and_connection_failures(imap_server: ImapServer, mailbox: Mailbox):
    with pytest.raises(PermanentError, match="login refused"):
        poller(imap_server, mailbox.folder, password="wrong-test-password").poll(None)
    with pytest.raises(PermanentError, match="cannot open folder"):
        poller(imap_server, mailbox.folder + "-missing").poll(None)
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
    s.close()
    with pytest.raises(TransientError, match="cannot connect"):
        poller(imap_server, mailbox.folder, port=closed_port, timeout_s=2).poll(None)
