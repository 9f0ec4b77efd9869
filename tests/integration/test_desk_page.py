"""The public page, loaded from a real `jemput api` server (uvicorn on loopback, PostgreSQL behind it) in headless
Chromium (Debian's chromium package): the map shows kelurahan with counts, the chart renders, the list shows
answered and open complaints, a filter changes what is shown. Screenshots are kept as test artifacts
($JEMPUT_TEST_ARTIFACTS_DIR, else pytest's temporary directory; the path is printed)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from pipeline.contract import LocatedMessage, Location
from sink.api import create_app
from sink.desk import Desk
from sink.store import TicketStore
from tests.conftest import require
from tests.integration.test_api_postgres import Server, desk_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def square(lon: float, lat: float, d: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d],
                                                [lon, lat]]]}


def pack(path: Path) -> None:
    """A small gazetteer pack in the documented format: one kota, one kecamatan, three kelurahan squares."""
    areas = [
        {"code": "31.71", "level": "kota", "name": "Jakarta Pusat", "kota_code": "31.71", "kecamatan_code": None,
         "aliases": [], "centroid": [-6.18, 106.83]},
        {"code": "31.71.01", "level": "kecamatan", "name": "Gambir", "kota_code": "31.71",
         "kecamatan_code": "31.71.01", "aliases": [], "centroid": [-6.18, 106.83]},
    ]
    for i, name in enumerate(["Gambir", "Cideng", "Petojo Utara"]):
        areas.append({"code": f"31.71.01.100{i + 1}", "level": "kelurahan", "name": name, "kota_code": "31.71",
                      "kecamatan_code": "31.71.01", "aliases": [], "centroid": [-6.195, 106.805 + i * 0.01],
                      "polygon": square(106.80 + i * 0.01, -6.20)})
    path.write_text(json.dumps({"format": "jemput-gazetteer", "version": 1, "built_at": "2026-11-28T00:00:00Z",
                                "sources": [], "areas": areas}), encoding="utf-8")


def report(i: int, category: str, kel: int, text: str) -> LocatedMessage:
    return LocatedMessage(
        message_id=f"app:{i}", channel="app", text=text, author_ref=f"author-{i}",
        posted_at=datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=i % 20), category=category,
        scores={category: 0.9}, confidence=0.9, model_version="m", geocoder_version="g",
        location=Location(precision="kelurahan", lat=-6.195, lon=106.805 + (kel - 1) * 0.01, kota_code="31.71",
                          kota_name="Jakarta Pusat", kecamatan_code="31.71.01", kecamatan_name="Gambir",
                          kelurahan_code=f"31.71.01.100{kel}",
                          kelurahan_name=["Gambir", "Cideng", "Petojo Utara"][kel - 1], method="gazetteer"))


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())]


def chromium(url: str, profile: Path, *extra: str) -> str:
    exe = shutil.which("chromium")
    require(exe is not None, "Debian's chromium is not installed (apt-get install chromium)")
    out = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                          *extra, url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    d = Path(os.environ.get("JEMPUT_TEST_ARTIFACTS_DIR") or tmp_path / "artifacts")
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_the_public_page_renders_map_chart_list_and_filters(fresh_postgres_url, tmp_path, artifacts):
    gz = tmp_path / "gazetteer.json"
    pack(gz)
    store = TicketStore(fresh_postgres_url)
    store.migrate()
    msgs = ([report(i, "flood", 1, f"banjir di gambir {i}") for i in range(5)]
            + [report(10 + i, "garbage", 1, f"sampah gambir {i}") for i in range(2)]
            + [report(20 + i, "garbage", 2, f"sampah numpuk cideng {i}") for i in range(3)]
            + [report(30, "not_complaint", 1, "banjir orderan, secret-not-public")])
    store.write_batch(msgs)
    done = store.get("app:20")["id"]
    desk = Desk(store)
    for s in ("dispatched", "in_progress"):
        desk.transition(done, s, actor="op")
    desk.transition(done, "resolved", actor="op", completion_note="Sampah sudah diangkut")
    app = create_app(store, desk_settings(), gazetteer_path=gz)
    with Server(app) as base:
        html = httpx.get(base + "/").text
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the page must load nothing external"
        dom_text = chromium(base + "/", tmp_path / "p1", "--dump-dom")
        chromium(base + "/", tmp_path / "p2", "--window-size=1280,1000",
                 f"--screenshot={artifacts / 'desk_page.png'}")
        chromium(base + "/?category=garbage", tmp_path / "p3", "--window-size=390,1700",
                 f"--screenshot={artifacts / 'desk_page_phone_garbage.png'}")
        filtered_text = chromium(base + "/?category=garbage", tmp_path / "p4", "--dump-dom")
    store.close()
    print(f"screenshots: {artifacts}")

    dom = Dom()
    dom.feed(dom_text)
    assert dom.find("body")[0].get("data-loaded"), "the page's script did not finish loading its data"
    kel = {a["data-code"]: int(a["data-count"]) for a in dom.find("path", "kel")}
    assert kel == {"31.71.01.1001": 7, "31.71.01.1002": 3, "31.71.01.1003": 0}  # the dismissed one is not public
    fills = {a["data-code"]: a["fill"] for a in dom.find("path", "kel")}
    assert len(set(fills.values())) == 3  # three different counts, three shades
    bars = dom.find("rect", "bar")
    assert bars and sum(int(b["data-count"]) for b in bars) == 10
    assert {b["data-category"] for b in bars} == {"flood", "garbage"}
    assert all(float(b["height"]) > 0 for b in bars)
    items = dom.find("li", "item")
    assert len(items) == 10
    assert sum("closed" in i["class"].split() for i in items) == 1  # the answered one
    assert len(dom.find("circle", "pt")) == 10
    assert "Sampah sudah diangkut" in dom_text and "secret-not-public" not in dom_text
    assert "author-" not in dom_text

    f = Dom()
    f.feed(filtered_text)
    fitems = f.find("li", "item")
    assert len(fitems) == 5 and {i["data-category"] for i in fitems} == {"garbage"}
    assert {a["data-code"]: int(a["data-count"]) for a in f.find("path", "kel")} == {
        "31.71.01.1001": 2, "31.71.01.1002": 3, "31.71.01.1003": 0}
    assert {b["data-category"] for b in f.find("rect", "bar")} == {"garbage"}
    selected = [a for t, a in f.tags if t == "option" and a.get("value") == "garbage"]
    assert selected, "the category filter lists garbage"
    assert (artifacts / "desk_page.png").stat().st_size > 10_000
    assert (artifacts / "desk_page_phone_garbage.png").stat().st_size > 10_000


# -- a real interaction, over the DevTools protocol --------------------------------------------------------
class DevTools:
    """The smallest WebSocket client (RFC 6455: text frames, client masking) speaking the Chrome DevTools Protocol
    to one page of a headless Chromium. No third-party library needed."""

    def __init__(self, ws_url: str) -> None:
        import base64
        import socket
        from urllib.parse import urlparse

        u = urlparse(ws_url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.next_id = 0

    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            assert chunk, "DevTools closed the connection"
            buf += chunk
        return buf

    def _send(self, payload: bytes) -> None:
        import struct

        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                  bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                  bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _recv(self) -> dict:
        import struct

        data = b""
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            data += self._recv_exact(n)
            if b0 & 0x80:  # FIN
                return json.loads(data)

    def call(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}).encode())
        while True:
            msg = self._recv()
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg["result"]

    def eval(self, expression: str) -> object:
        r = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in r, r
        return r["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> object:
        import time

        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            assert time.monotonic() < deadline, f"timed out waiting for {expression}"
            time.sleep(0.1)


def test_choosing_a_filter_in_the_page_changes_map_chart_and_list(fresh_postgres_url, tmp_path, artifacts):
    import base64
    import time

    exe = shutil.which("chromium")
    require(exe is not None, "Debian's chromium is not installed (apt-get install chromium)")
    gz = tmp_path / "gazetteer.json"
    pack(gz)
    store = TicketStore(fresh_postgres_url)
    store.migrate()
    store.write_batch([report(i, "flood", 1, f"banjir {i}") for i in range(4)]
                      + [report(10 + i, "garbage", 2, f"sampah {i}") for i in range(3)])
    app = create_app(store, desk_settings(), gazetteer_path=gz)
    profile = tmp_path / "cdp"
    with Server(app) as base:
        proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                                 "--window-size=1000,900", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file = profile / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not (port_file.is_file() and port_file.read_text().strip()):
                assert time.monotonic() < deadline and proc.poll() is None, "chromium did not start DevTools"
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            page = next(t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page")
            dt = DevTools(page["webSocketDebuggerUrl"])
            dt.call("Page.enable")
            dt.call("Page.navigate", url=base + "/")
            dt.wait_for("document.body && document.body.dataset.loaded")
            assert dt.eval("document.querySelectorAll('#list li.item').length") == 7
            assert dt.eval("[...document.querySelectorAll('path.kel')].map(p => p.dataset.count).join()") == "4,3,0"
            # A person picks "Sampah" in the category filter.
            dt.eval("""(() => { const s = document.getElementById('f-category'); s.value = 'garbage';
                       s.dispatchEvent(new Event('change', {bubbles: true})); })()""")
            dt.wait_for("document.querySelectorAll('#list li.item').length === 3")
            cats = dt.eval("[...new Set([...document.querySelectorAll('#list li.item')].map(l => l.dataset.category))]")
            assert cats == ["garbage"]
            assert dt.eval("[...document.querySelectorAll('path.kel')].map(p => p.dataset.count).join()") == "0,3,0"
            assert dt.eval("[...new Set([...document.querySelectorAll('rect.bar')].map(b => b.dataset.category))]"
                           ) == ["garbage"]
            assert dt.eval("location.search") == "?category=garbage"
            # ... then clicks the kelurahan Cideng on the map: the kelurahan filter follows.
            dt.eval("document.querySelector(\"path.kel[data-code='31.71.01.1002']\").dispatchEvent("
                    "new MouseEvent('click', {bubbles: true}))")
            dt.wait_for("location.search.includes('kelurahan=31.71.01.1002')")
            dt.wait_for("document.querySelectorAll('#list li.item').length === 3")
            assert dt.eval("document.getElementById('f-kelurahan').value") == "31.71.01.1002"
            assert dt.wait_for("[...document.querySelectorAll('path.kel.sel')].map(p => p.dataset.code).join()"
                               ) == "31.71.01.1002"  # the chosen kelurahan is outlined on the redrawn map
            shot = dt.call("Page.captureScreenshot", format="png")
            (artifacts / "desk_page_after_filter.png").write_bytes(base64.b64decode(shot["data"]))
            dt.sock.close()
        finally:
            proc.terminate()
            proc.wait(20)
    store.close()


HOSTILE = [
    "<script>document.body.dataset.pwned='1'</script> banjir di gambir",
    "<img src=x onerror=\"document.body.dataset.pwned='2'\"> sampah numpuk",
    "'); DROP TABLE tickets; -- jalan rusak di cideng",
]


def test_html_and_sql_in_texts_are_inert_on_the_page_and_in_the_api(fresh_postgres_url, tmp_path):
    gz = tmp_path / "gazetteer.json"
    pack(gz)
    store = TicketStore(fresh_postgres_url)
    store.migrate()
    store.write_batch([report(100 + i, "flood", 1 + i % 3, text) for i, text in enumerate(HOSTILE)])
    app = create_app(store, desk_settings(), gazetteer_path=gz)
    with Server(app) as base:
        dom_text = chromium(base + "/", tmp_path / "h1", "--dump-dom")
        open311 = httpx.get(base + "/open311/v2/requests.json").json()
    assert store.count() == len(HOSTILE)  # the SQL did nothing: the table is there, every ticket with it
    store.close()
    dom = Dom()
    dom.feed(dom_text)
    assert dom.find("body")[0].get("data-loaded"), "the page's script did not finish loading its data"
    assert "data-pwned" not in dom_text, "a ticket's text ran as code"
    assert not dom.find("img"), "a ticket's text became an element"
    assert len(dom.find("li", "item")) == len(HOSTILE)
    assert "&lt;script&gt;document.body.dataset.pwned" in dom_text  # shown as text, escaped
    assert "DROP TABLE tickets" in dom_text
    descriptions = {r["description"] for r in open311}
    assert any(d.startswith("<script>") for d in descriptions)  # JSON carries the text as data, unchanged
