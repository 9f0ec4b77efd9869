"""Mail to RawMessage without a server: MIME choices, HTML to text, ids, cursors, and no crash on any bytes."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.pollers.base import Rejected
from harvester.pollers.email import html_to_text, mail_to_message, mask_email, parse_cursor
from pipeline.contract import RawMessage, decode

KW = {"hash_key": "test-author-hash-key", "folder": "INBOX", "uidvalidity": 7, "uid": 3,
      "url_base": "imap://127.0.0.1:143/INBOX"}


def mail(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    for k, v in {"From": "warga@example.org", "Subject": "Banjir", "Message-ID": "<m-1@test.jemput.example>",
                 **headers}.items():
        msg[k] = v
    msg.set_content("air 50 cm")
    return msg


def test_html_to_text():
    assert html_to_text("<p>a &amp; b</p><p>c<br>d</p>") == "a & b\n\nc\nd"
    assert html_to_text("<style>x{}</style><script>y()</script>ok") == "ok"
    assert html_to_text("<ul><li>satu</li><li>dua</li></ul>") == "- satu\n\n- dua"
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_to_text("") == ""


def test_message_id_and_its_fallback_are_stable():
    m = mail_to_message(mail().as_bytes(), **KW)
    assert isinstance(m, RawMessage) and m.message_id == "email:m-1@test.jemput.example"
    # The same mail under another UID and UIDVALIDITY keeps its id.
    assert mail_to_message(mail().as_bytes(), **{**KW, "uid": 99, "uidvalidity": 8}).message_id == m.message_id
    for bad in ("", "<>", "<a b@c>", "<" + "x" * 500 + ">"):
        raw = mail().as_bytes().replace(b"<m-1@test.jemput.example>", bad.encode())
        a = mail_to_message(raw, **KW)
        b = mail_to_message(raw, **{**KW, "uid": 4})
        assert isinstance(a, RawMessage) and a.message_id.startswith("email:h-") and a.message_id == b.message_id


def test_rejections_say_why():
    bounce = mail(From="MAILER-DAEMON@example.org")
    assert mail_to_message(bounce.as_bytes(), **KW) == Rejected("INBOX UID 3", "delivery report (bounce), not a complaint")
    empty = EmailMessage()
    empty["From"] = "warga@example.org"
    r = mail_to_message(empty.as_bytes(), **KW)
    assert isinstance(r, Rejected) and "empty mail" in r.reason
    assert isinstance(mail_to_message(mail(**{"Auto-Submitted": "no"}).as_bytes(), **KW), RawMessage)


def test_unknown_charset_and_bad_date_do_not_lose_the_mail():
    raw = (b"From: warga@example.org\r\nSubject: x\r\nDate: kemarin sore\r\nMessage-ID: <c@t>\r\n"
           b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\xc3\xa9 \xff\r\n")
    m = mail_to_message(raw, **KW)
    assert isinstance(m, RawMessage)
    assert m.text == "x\n\ncafé \ufffd" and m.posted_at is None and m.raw["date_unreadable"] is True


def test_parse_cursor_and_mask_email():
    assert parse_cursor("12:34") == (12, 34)
    assert parse_cursor(None) == (None, 0)
    assert parse_cursor("garbage") == (None, 0)
    assert parse_cursor("1:x") == (None, 0)
    assert mask_email("warga.kemang@example.org") == "w***@example.org"
    assert mask_email(None) is None


_header_lines = st.lists(
    st.tuples(st.sampled_from(["From", "To", "Subject", "Date", "Message-ID", "Content-Type",
                               "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "X"]),
              st.text(max_size=60) | st.sampled_from(["multipart/mixed; boundary=b", "text/html; charset=utf-8",
                                                       "base64", "quoted-printable", "=?utf-8?b?w6k=?=",
                                                       "text/plain; charset=iso-2022-jp"])),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(_header_lines, st.binary(max_size=300) | st.sampled_from([b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--",
                                                                  b"<p>hai</p>", b"w6k=\r\n"]))
def test_any_mail_becomes_a_message_or_a_reason(headers, body):
    raw = b"".join(f"{k}: {v}".encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b" ") + b"\r\n"
                   for k, v in headers) + b"\r\n" + body
    made = mail_to_message(raw, **KW)
    if isinstance(made, Rejected):
        assert made.reason
        return
    assert decode(RawMessage, made.model_dump_json()) == made
    assert made.message_id.startswith("email:")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_html_to_text_never_crashes(html):
    out = html_to_text(html)
    assert "<script" not in out.lower() or "<script" in html.lower()
