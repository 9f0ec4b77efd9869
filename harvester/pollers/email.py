"""The e-mail source: complaints sent to a city mailbox, read over IMAP (imaplib) with a UID cursor.

One poll opens the folder read-only, searches ``UID <last+1>:*`` and fetches up to ``batch_size`` messages in
UID order. The cursor is ``<UIDVALIDITY>:<last UID>``; when the server's UIDVALIDITY differs from the cursor's
(the folder was recreated or rebuilt, so old UIDs mean nothing) the poll starts again from the first message
and relies on message ids to drop what was already harvested.

Message id: ``email:<Message-ID>`` (the header without its angle brackets). It is the one identifier that is the
same for the same mail whatever the folder, the UIDVALIDITY or the mailbox it was copied to (a complaint sent
to two city addresses is one ticket), whereas ``<uidvalidity>-<uid>`` changes whenever the server renumbers. A
mail without a usable Message-ID (missing, blank, over 400 characters, with spaces or control characters) gets
``email:h-`` plus a hash of its sender, Date, subject and body, which is just as stable across renumbering.

Text: the subject, a blank line, then the body: the first ``text/plain`` part that is not an attachment, else the
first ``text/html`` part converted to text (stdlib ``html.parser``: scripts and styles dropped, block elements
become line breaks, list items get a dash). Charsets are decoded as declared (unknown ones as UTF-8, invalid
bytes replaced). Attachments are referenced in ``raw["attachments"]`` (filename, content type, size in bytes,
IMAP section) and in ``media`` as RFC 5092 IMAP URLs (``imap://host:port/INBOX;UIDVALIDITY=v/;UID=u/;SECTION=2``,
no credentials): the bytes are never stored. Mail over ``max_message_bytes`` is not downloaded whole: its
headers become the message and ``raw["truncated"]`` says so.

The sender's address becomes ``author_ref`` (keyed hash); addresses kept in ``raw`` are masked (``w***@domain``),
and so are phone-like numbers there. ``Date`` becomes ``posted_at`` (UTC). Automatic replies and bounces
(``Auto-Submitted`` other than ``no``, ``MAILER-DAEMON``) are rejected with the reason.

Security: ``ssl`` (IMAPS, port 993), ``starttls`` (port 143, upgraded before login) or ``none`` (plain text:
loopback or a trusted network only). Certificates are checked against the system's CAs or ``ca_file``.
``mark_seen`` flags harvested mail ``\\Seen`` in :meth:`ImapPoller.acknowledge`; otherwise the mailbox is never
changed.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import re
import ssl
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from html.parser import HTMLParser
from typing import Any

from config.settings import EmailSettings, Settings
from harvester.pollers.base import Poller, PollResult, Rejected
from harvester.privacy import mask_phones
from pipeline.contract import MAX_TEXT_CHARS, RawMessage
from pipeline.errors import PermanentError, TransientError
from pipeline.privacy import author_ref

log = logging.getLogger("jemput.harvester.email")

CHANNEL = "email"
_MAX_MESSAGE_ID = 400
#: Messages fetched per FETCH command (bounds the memory one command holds).
_FETCH_CHUNK = 20
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


# -- HTML to text -------------------------------------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
          "hr", "section", "article", "header", "footer", "pre", "address", "dd", "dt", "form", "fieldset"}
_SKIP = {"script", "style", "head", "title", "template", "noscript"}


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.out.append("\n")
            if tag == "li":
                self.out.append("- ")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: no tags, scripts or styles; paragraphs and list items on their own lines."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything it still refuses keeps what was read
        pass
    lines = [" ".join(line.split()) for line in "".join(parser.out).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# -- MIME ---------------------------------------------------------------------------------------------------


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").strip().lower()
    if charset in ("us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        charset = "utf-8"  # 8-bit bytes under an ASCII label are UTF-8 far more often than anything else
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return payload.decode(charset, errors="replace")


def _sections(part: Message, prefix: str = "") -> Iterator[tuple[str, Message]]:
    """Every leaf part with its IMAP section number (RFC 3501: 1, 2, 2.1 ...). Encapsulated mail is one leaf."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for i, sub in enumerate(part.get_payload(), start=1):
            yield from _sections(sub, f"{prefix}.{i}" if prefix else str(i))
    else:
        yield (prefix or "1"), part


def _is_attachment(part: Message) -> bool:
    if part.get_content_maintype() == "message":
        return True
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    if part.get_content_type() in ("text/plain", "text/html"):
        return bool(part.get_filename()) and disposition != "inline"
    return True  # images, PDFs, anything not text


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is read as absent
        return ""
    return "" if value is None else " ".join(str(value).split())


def mask_email(address: str | None) -> str | None:
    """``warga.kemang@example.org`` -> ``w***@example.org`` (the domain stays: it says which provider)."""
    if not address:
        return None
    local, sep, domain = address.strip().rpartition("@")
    if not sep:
        return "***"
    return (local[:1] or "*") + "***@" + domain


def _addresses(msg: Message, name: str) -> list[str]:
    try:
        values = msg.get_all(name) or []
        return [addr for _, addr in email.utils.getaddresses([str(v) for v in values]) if addr]
    except Exception:  # noqa: BLE001
        return []


def _message_id(value: str) -> str | None:
    mid = value.strip().strip("<>").strip()
    if not mid or len(mid) > _MAX_MESSAGE_ID or any(c.isspace() or not c.isprintable() for c in mid):
        return None
    return mid


def _posted_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    try:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def mail_to_message(raw_bytes: bytes, *, hash_key: str, folder: str, uidvalidity: int, uid: int,
                    url_base: str, size: int | None = None, truncated: bool = False) -> RawMessage | Rejected:
    """The RawMessage of one mail (``raw_bytes``: the whole message, or only its headers when ``truncated``)."""
    ref = f"{folder} UID {uid}"
    msg = email.message_from_bytes(raw_bytes, policy=email.policy.compat32)
    subject = _header(msg, "Subject")
    try:
        subject = str(email.header.make_header(email.header.decode_header(subject))) if subject else ""
    except Exception:  # noqa: BLE001 - an undecodable encoded-word stays as written
        pass
    subject = " ".join(subject.split())
    sender_list = _addresses(msg, "From")
    sender = sender_list[0].lower() if sender_list else ""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return Rejected(ref, f"automatic mail (Auto-Submitted: {auto[:40]}), not a complaint")
    if sender.split("@")[0] in ("mailer-daemon", "postmaster") or _header(msg, "Content-Type").lower().startswith(
            "multipart/report"):
        return Rejected(ref, "delivery report (bounce), not a complaint")

    body, body_source = "", "none"
    attachments: list[dict[str, Any]] = []
    if not truncated:
        html_body = None
        for section, part in _sections(msg):
            if _is_attachment(part):
                payload = part.get_payload(decode=True) if part.get_content_maintype() != "message" else None
                if payload is None and part.get_content_maintype() == "message":
                    size_of = len(part.as_bytes()) if hasattr(part, "as_bytes") else 0
                else:
                    size_of = len(payload) if isinstance(payload, bytes) else 0
                filename = part.get_filename()
                if filename:
                    try:
                        filename = str(email.header.make_header(email.header.decode_header(filename)))
                    except Exception:  # noqa: BLE001
                        pass
                attachments.append({"filename": filename, "content_type": part.get_content_type(),
                                    "size": size_of, "section": section,
                                    "url": f"{url_base};UIDVALIDITY={uidvalidity}/;UID={uid}/;SECTION={section}"})
            elif part.get_content_type() == "text/plain" and body_source != "text/plain":
                body, body_source = _decode_part(part), "text/plain"
            elif part.get_content_type() == "text/html" and html_body is None:
                html_body = _decode_part(part)
        if body_source == "none" and html_body is not None:
            body, body_source = html_to_text(html_body), "text/html"
    body = body.replace("\r\n", "\n").strip()
    if truncated:
        body = (f"(message of {size} bytes not downloaded: over harvester.email.max_message_bytes)"
                if size else "(message not downloaded: over harvester.email.max_message_bytes)")
    text = f"{subject}\n\n{body}".strip() if subject else body
    text = text.replace("\x00", "")[:MAX_TEXT_CHARS]
    if not text.strip() and not attachments:
        return Rejected(ref, "empty mail: no subject, no text and no attachment")

    date_header = _header(msg, "Date")
    posted_at = _posted_at(date_header)
    mid = _message_id(_header(msg, "Message-ID"))
    if mid is None:
        h = hashlib.sha256()
        for piece in (sender, date_header, subject, body):
            h.update(piece.encode("utf-8", "replace"))
            h.update(b"\x1f")
        provider_id = "h-" + h.hexdigest()[:32]
    else:
        provider_id = mid
    raw: dict[str, Any] = mask_phones({
        "source": "imap",
        "folder": folder,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "message_id_header": mid,
        "subject": subject,
        "date": date_header or None,
        "body_source": body_source,
        "attachments": attachments,
        "size": size,
    })
    raw["from"] = mask_email(sender)
    raw["to"] = [mask_email(a) for a in _addresses(msg, "To") + _addresses(msg, "Cc")][:20]
    if truncated:
        raw["truncated"] = True
    if date_header and posted_at is None:
        raw["date_unreadable"] = True
    return RawMessage(
        message_id=f"{CHANNEL}:{provider_id}",
        channel=CHANNEL,
        posted_at=posted_at,
        text=text,
        author_ref=author_ref(hash_key, CHANNEL, sender) if "@" in sender else None,
        media=tuple(a["url"] for a in attachments),
        raw=raw,
    )


# -- the poller ---------------------------------------------------------------------------------------------


def parse_cursor(cursor: str | None) -> tuple[int | None, int]:
    """``"<uidvalidity>:<uid>"`` -> (uidvalidity, uid); anything else -> (None, 0): start from the beginning."""
    if not cursor:
        return None, 0
    validity, sep, uid = cursor.partition(":")
    if not sep or not validity.isdigit() or not uid.isdigit():
        return None, 0
    return int(validity), int(uid)


def _quote(mailbox: str) -> str:
    if not mailbox.isascii() or any(c in mailbox for c in "\r\n\x00"):
        raise PermanentError(f"folder {mailbox!r}: only ASCII folder names are supported")
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapPoller(Poller):
    channel = CHANNEL

    def __init__(self, name: str, settings: EmailSettings, hash_key: str) -> None:
        super().__init__(name)
        if not settings.host or not settings.username or settings.password is None:
            raise PermanentError(f"{name}: set harvester.{name}.host, username and password")
        self.settings = settings
        self._hash_key = hash_key
        self._folder_arg = _quote(settings.folder)
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        self._url_base = f"imap://{host}:{settings.port}/{urllib.parse.quote(settings.folder, safe='')}"

    # -- connection
    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        assert s.host is not None and s.username is not None and s.password is not None
        where = f"{s.host}:{s.port}"
        try:
            context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise PermanentError(f"{self.name}: cannot read ca_file {s.ca_file}: {exc}") from None
        try:
            if s.security == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=s.timeout_s)
            else:
                imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout_s)
                if s.security == "starttls":
                    imap.starttls(ssl_context=context)
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"{self.name}: {where}: certificate not trusted: {exc.verify_message}") from None
        except imaplib.IMAP4.error as exc:  # e.g. STARTTLS refused
            raise PermanentError(f"{self.name}: {where}: {exc}") from None
        except (OSError, EOFError) as exc:
            raise TransientError(f"{self.name}: cannot connect to {where}: {exc}") from None
        try:
            imap.login(s.username, s.password.get_secret_value())
        except imaplib.IMAP4.abort as exc:
            self._drop(imap)
            raise TransientError(f"{self.name}: {where}: connection lost at login: {exc}") from None
        except imaplib.IMAP4.error as exc:
            self._drop(imap)
            raise PermanentError(f"{self.name}: {where}: login refused for {s.username!r}: "
                                 f"{_text(exc)}") from None
        except (OSError, EOFError) as exc:
            self._drop(imap)
            raise TransientError(f"{self.name}: {where}: {exc}") from None
        return imap

    @staticmethod
    def _drop(imap: imaplib.IMAP4) -> None:
        try:
            imap.logout()
        except Exception:  # noqa: BLE001 - the connection is being thrown away
            try:
                imap.shutdown()
            except Exception:  # noqa: BLE001
                pass

    def _select(self, imap: imaplib.IMAP4, readonly: bool) -> tuple[int, int]:
        """Open the folder; (UIDVALIDITY, message count)."""
        typ, data = imap.select(self._folder_arg, readonly=readonly)
        if typ != "OK":
            raise PermanentError(f"{self.name}: cannot open folder {self.settings.folder!r}: {_text(data)}")
        _, validity = imap.response("UIDVALIDITY")
        if not validity or validity[0] is None:
            raise PermanentError(f"{self.name}: the server gave no UIDVALIDITY for {self.settings.folder!r}")
        count = int(data[0]) if data and data[0] and data[0].isdigit() else 0
        return int(validity[0]), count

    def _run(self, what: str, fn: Any) -> Any:
        imap = self._connect()
        try:
            return fn(imap)
        except (imaplib.IMAP4.abort, OSError, EOFError) as exc:
            raise TransientError(f"{self.name}: {what}: connection failed: {exc}") from None
        except imaplib.IMAP4.error as exc:
            raise PermanentError(f"{self.name}: {what}: {_text(exc)}") from None
        finally:
            self._drop(imap)

    # -- Poller
    def poll(self, cursor: str | None) -> PollResult:
        return self._run("polling", lambda imap: self._poll(imap, cursor))

    def _poll(self, imap: imaplib.IMAP4, cursor: str | None) -> PollResult:
        saved_validity, last = parse_cursor(cursor)
        validity, _count = self._select(imap, readonly=True)
        if saved_validity is not None and saved_validity != validity:
            log.warning("%s: UIDVALIDITY of %r changed from %d to %d: reading the folder again from the start "
                        "(message ids drop what was already harvested)", self.name, self.settings.folder,
                        saved_validity, validity)
            last = 0
        typ, data = imap.uid("SEARCH", f"UID {last + 1}:*")
        if typ != "OK":
            raise PermanentError(f"{self.name}: UID SEARCH failed: {_text(data)}")
        # "N:*" always includes the highest UID even when it is below N: filter.
        uids = sorted({int(u) for u in (data[0] or b"").split() if u.isdigit() and int(u) > last})
        batch = uids[: self.settings.batch_size]
        result = PollResult(cursor=f"{validity}:{batch[-1] if batch else last}",
                            more=len(uids) > len(batch))
        if not batch:
            return result
        sizes = self._fetch(imap, batch, "(UID RFC822.SIZE)", want_literal=False)
        small = [u for u in batch if sizes.get(u, 0) <= self.settings.max_message_bytes]
        large = [u for u in batch if u not in small]
        bodies = self._fetch(imap, small, "(UID RFC822.SIZE BODY.PEEK[])") if small else {}
        headers = self._fetch(imap, large, "(UID RFC822.SIZE BODY.PEEK[HEADER])") if large else {}
        for uid in batch:
            raw = bodies.get(uid) if uid in bodies else headers.get(uid)
            if raw is None:
                # Expunged between SEARCH and FETCH: nothing to harvest.
                result.rejected.append(Rejected(f"{self.settings.folder} UID {uid}", "expunged before it was read"))
                continue
            try:
                made = mail_to_message(raw, hash_key=self._hash_key, folder=self.settings.folder,
                                       uidvalidity=validity, uid=uid, url_base=self._url_base,
                                       size=sizes.get(uid), truncated=uid in headers)
            except Exception as exc:  # noqa: BLE001 - one undecodable mail must not stop the folder
                log.exception("%s: UID %d could not be read", self.name, uid)
                made = Rejected(f"{self.settings.folder} UID {uid}", f"unreadable mail: {exc.__class__.__name__}")
            if isinstance(made, Rejected):
                result.rejected.append(made)
            else:
                result.messages.append(made)
            result.to_acknowledge.append(f"{validity}:{uid}")
        return result

    def _fetch(self, imap: imaplib.IMAP4, uids: list[int], items: str, *, want_literal: bool = True) -> dict[int, Any]:
        out: dict[int, Any] = {}
        for start in range(0, len(uids), _FETCH_CHUNK):
            chunk = uids[start : start + _FETCH_CHUNK]
            typ, data = imap.uid("FETCH", ",".join(map(str, chunk)), items)
            if typ != "OK":
                raise PermanentError(f"{self.name}: UID FETCH failed: {_text(data)}")
            for item in data:
                head = item[0] if isinstance(item, tuple) else item
                if not isinstance(head, bytes):
                    continue
                m = _UID.search(head)
                if not m:
                    continue
                uid = int(m.group(1))
                if want_literal:
                    if isinstance(item, tuple) and isinstance(item[1], bytes):
                        out[uid] = item[1]
                else:
                    size = _SIZE.search(head)
                    out[uid] = int(size.group(1)) if size else 0
        return out

    def acknowledge(self, result: PollResult) -> None:
        if not self.settings.mark_seen or not result.to_acknowledge:
            return

        def mark(imap: imaplib.IMAP4) -> None:
            validity, _ = self._select(imap, readonly=False)
            uids = [ack.partition(":")[2] for ack in result.to_acknowledge
                    if ack.partition(":")[0] == str(validity)]
            for start in range(0, len(uids), 200):
                typ, data = imap.uid("STORE", ",".join(uids[start : start + 200]), "+FLAGS.SILENT", r"(\Seen)")
                if typ != "OK":
                    raise PermanentError(f"{self.name}: UID STORE failed: {_text(data)}")

        self._run("flagging harvested mail \\Seen", mark)

    def check(self) -> str:
        def status(imap: imaplib.IMAP4) -> str:
            validity, count = self._select(imap, readonly=True)
            return (f"imap {self.settings.host}:{self.settings.port} ({self.settings.security}) "
                    f"{self.settings.folder}: {count} message(s), UIDVALIDITY {validity}")

        return self._run("checking", status)


def _text(value: Any) -> str:
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else str(value)
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def build(settings: Settings) -> Poller:
    """The poller of ``settings.harvester.email``."""
    return ImapPoller("email", settings.harvester.email, settings.privacy.author_hash_key.get_secret_value())


__all__ = ["ImapPoller", "build", "html_to_text", "mail_to_message", "mask_email", "parse_cursor"]
