"""The server under attack (issue 20) and its per-request contract (issue 19): bounded batch work,
health checks that answer while batches run, requests refused before any work (another host name,
another site's page, a body that is not JSON), slow clients that cannot hold the server, no install
path in any message, and an OpenAPI document a generated client can use."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")

from ratecard import default_catalog  # noqa: E402
from ratecard.docs import formats_doc_path  # noqa: E402
from ratecard.web import api  # noqa: E402
from ratecard.web.app import create_app  # noqa: E402

from ..catalog_copy import REPO  # noqa: E402
from .servers import ON, case_dict, cli_server, get, post, thread_server, wait_until_up  # noqa: E402


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with thread_server(create_app(default_catalog())) as url:
        yield url


def _cases(n: int, name: str = "no-needs-assessed-yet.yaml") -> list[dict[str, Any]]:
    case = case_dict(name)
    return [{**case, "id": f"case-{i:05d}"} for i in range(n)]


# ---- per request: batch limits -----------------------------------------------------------------


def test_a_batch_is_bounded_per_request_and_says_so(base: str) -> None:
    limit = api.batch_limit(default_catalog())
    assert limit == 1000  # the shipped catalog's 33 interventions: 33,000 decisions, within 50,000
    # 1,000 small cases (667 KB) were refused, blaming one case for the request's size
    body = {"cases": _cases(limit), "on": ON}
    raw = json.dumps(body).encode()
    assert 500_000 < len(raw) < 1024 * 1024
    status, out, _ = post(base, "/v1/screen-batch", raw)
    assert status == 200, out["detail"] if isinstance(out, dict) and "detail" in out else out
    assert (out["screened"], out["errors"], len(out["rows"])) == (limit, 0, limit)
    # one more is refused for the request as a whole, in words that give the limit and the way out
    status, out, _ = post(base, "/v1/screen-batch", {"cases": [{"id": f"c{i}"} for i in range(limit + 1)], "on": ON})
    assert status == 413 and out["error"] == "too_large"
    assert [p["field"] for p in out["problems"]] == ["cases"]
    assert "a request may hold at most 1,000 cases" in out["detail"] and "several requests" in out["detail"]


def test_a_larger_catalog_allows_fewer_cases_a_request(tmp_path: Path) -> None:
    import sys as _sys

    _sys.path.insert(0, str(REPO / "benchmarks"))
    from generate_catalog import generate

    from ratecard.catalog.load import load_catalog

    generate(tmp_path, interventions=400, areas=4, rules=5, seed=10)
    cat = load_catalog(tmp_path)
    assert api.batch_limit(cat) == api.MAX_BATCH_DECISIONS // 400
    with thread_server(create_app(cat)) as url:
        status, doc, _ = get(url, "/openapi.json")
        assert doc["components"]["schemas"]["ScreenBatchRequest"]["properties"]["cases"]["maxItems"] == 125
        status, out, _ = post(url, "/v1/screen-batch", {"cases": [{"id": f"c{i}"} for i in range(126)], "on": ON})
        assert status == 413 and "at most 125 cases" in out["detail"] and "400 interventions" in out["detail"]


def _max_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_health_checks_answer_within_a_second_while_four_maximal_batches_run() -> None:
    # four maximal requests at once took RSS to 2.0 GiB and froze /healthz for 11.9 s
    body = json.dumps({"cases": _cases(api.batch_limit(default_catalog())), "on": ON}).encode()
    with cli_server() as served:
        results: list[int] = []

        def batch() -> None:
            # the answer is read, not parsed: parsing megabytes here would hold this process's GIL
            # and delay its own health checks, which would then measure the client
            results.append(_post_unparsed(served.url, "/v1/screen-batch", body)[0])

        threads = [threading.Thread(target=batch) for _ in range(4)]
        for t in threads:
            t.start()
        waits = []
        while any(t.is_alive() for t in threads):
            t0 = time.perf_counter()
            status = get(served.url, "/healthz")[0]
            waits.append(time.perf_counter() - t0)
            assert status == 200
            time.sleep(0.05)
        for t in threads:
            t.join()
        rss = _max_rss_mib(served.proc.pid)
    assert results == [200] * 4
    assert len(waits) >= 10, "the batches finished before the health checks could be measured"
    assert max(waits) < 1.0, f"/healthz took {max(waits):.2f} s at worst"
    assert rss < 1024, f"peak RSS {rss:.0f} MiB"


def _post_unparsed(url: str, path: str, body: bytes) -> tuple[int, str | None]:
    c = http.client.HTTPConnection(url.split("//")[1], timeout=300)
    c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status, r.getheader("retry-after")


def test_batches_beyond_the_queue_are_told_to_come_back() -> None:
    body = json.dumps({"cases": _cases(api.batch_limit(default_catalog())), "on": ON}).encode()
    with thread_server(create_app(default_catalog())) as url:
        results: list[tuple[int, str | None]] = []
        threads = [threading.Thread(target=lambda: results.append(_post_unparsed(url, "/v1/screen-batch", body)))
                   for _ in range(api.BATCH_QUEUE + 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    statuses = [s for s, _ in results]
    assert statuses.count(200) >= api.BATCH_QUEUE + 1 and set(statuses) <= {200, 503}
    assert all(retry == "5" for s, retry in results if s == 503)


# ---- refused before any work -------------------------------------------------------------------


def _raw(base: str, request: bytes) -> tuple[int, bytes]:
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b"connection: close" not in data.lower():
                head, _, rest = data.partition(b"\r\n\r\n")
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), b"0"))
                if len(rest) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _request(method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}", "Connection: close",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize("host", ["rebound.example", "rebound.example:8000", "", "127.0.0.2"])
def test_a_request_addressed_to_another_name_is_refused(base: str, host: str) -> None:
    # DNS rebinding: a page at rebound.example, its name then pointed at 127.0.0.1
    body = json.dumps({"case": {"id": "a"}, "on": ON}).encode()
    for method, path in (("POST", "/v1/screen"), ("GET", "/v1/catalog"), ("GET", "/"), ("GET", "/healthz")):
        status, out = _raw(base, _request(method, path, host, body if method == "POST" else b"",
                                          {"Content-Type": "application/json"}))
        assert status == 400, (method, path, host)
        assert b"--allowed-host" in out


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:8000", "[::1]:8000"])
def test_this_machines_own_names_are_answered(base: str, host: str) -> None:
    assert _raw(base, _request("GET", "/healthz", host))[0] == 200


def test_names_given_with_allowed_host_are_answered() -> None:
    from ratecard.web.serve import allowed_hosts

    hosts = allowed_hosts("127.0.0.1", ["Ratecard.Court.Example"])
    with thread_server(create_app(default_catalog(), allowed_hosts=hosts)) as url:
        assert _raw(url, _request("GET", "/healthz", "ratecard.court.example:443"))[0] == 200
        assert _raw(url, _request("GET", "/healthz", "other.court.example"))[0] == 400
    # listening on every interface: addresses are answered (a rebinding page arrives by name), names are not
    everywhere = allowed_hosts("0.0.0.0")
    with thread_server(create_app(default_catalog(), allowed_hosts=everywhere)) as url:
        assert _raw(url, _request("GET", "/healthz", "10.1.2.3:8000"))[0] == 200
        assert _raw(url, _request("GET", "/healthz", "rebound.example"))[0] == 400


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_the_api_takes_json_only(base: str, ctype: str | None) -> None:
    # text/plain needs no permission from the browser: any page could post a case or a batch
    body = json.dumps({"case": {"id": "a"}, "on": ON}).encode()
    headers = {"Content-Type": ctype} if ctype else {}
    for path in ("/v1/screen", "/v1/screen-batch"):
        status, out = _raw(base, _request("POST", path, "127.0.0.1", body, headers))
        assert status == 415 and json.loads(out)["error"] == "unsupported_media_type"
    assert _raw(base, _request("POST", "/v1/screen", "127.0.0.1", body,
                               {"Content-Type": "Application/JSON; charset=utf-8"}))[0] == 200


@pytest.mark.parametrize("site, status", [("cross-site", 403), ("same-site", 403), ("same-origin", 200), ("none", 200)])
def test_another_sites_page_cannot_post(base: str, site: str, status: int) -> None:
    body = json.dumps({"case": {"id": "a"}, "on": ON}).encode()
    assert _raw(base, _request("POST", "/v1/screen", "127.0.0.1", body,
                               {"Content-Type": "application/json", "Sec-Fetch-Site": site}))[0] == status
    form = b"on-day=1&on-month=3&on-year=2017&person.sex=male"
    assert _raw(base, _request("POST", "/result", "127.0.0.1", form,
                               {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": site}))[0] == status
    assert _raw(base, _request("GET", "/", "127.0.0.1", b"", {"Sec-Fetch-Site": site}))[0] == 200  # a link to the page


# ---- no install path in any message ------------------------------------------------------------


def test_unknown_field_messages_never_show_where_the_server_is_installed(base: str) -> None:
    install = str(formats_doc_path().parent.parent)
    for path, body in (("/v1/screen", {"case": {"id": "a"}, "bogus": 1}), ("/v1/propose", {"case": {"id": "a", "extra": 1}}),
                       ("/v1/screen", {"case": {"id": "a", "risk": {"nothing_like_it": 1}}}),
                       ("/v1/screen-batch", {"cases": [{"id": "a", "zzz": 1}], "wrong": 1})):
        status, out, _ = post(base, path, body)
        assert status == 422, out
        assert install not in json.dumps(out) and "formats.md" not in json.dumps(out), out
        assert "GET /openapi.json" in json.dumps(out)
    # an uploaded case file on the page
    c = http.client.HTTPConnection(base.split("//")[1], timeout=60)
    boundary = "b0undary"
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"case_file\"; filename=\"case.yaml\"\r\n"
            f"Content-Type: application/yaml\r\n\r\nid: a\nbogus: 1\n\r\n--{boundary}--\r\n").encode()
    c.request("POST", "/upload", body=part, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    r = c.getresponse()
    page = r.read().decode()
    assert r.status == 422 and "bogus" in page and install not in page


# ---- the OpenAPI document, as a client generator reads it --------------------------------------


def test_openapi_types_the_batch_and_names_operations_well(base: str) -> None:
    _, doc, _ = get(base, "/openapi.json")
    schemas = doc["components"]["schemas"]
    cases = schemas["ScreenBatchRequest"]["properties"]["cases"]
    assert cases["items"] == {"$ref": "#/components/schemas/Case"} and cases["maxItems"] == 1000
    batch = doc["paths"]["/v1/screen-batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ScreenBatchRequest"}
    assert "at most 1,000 cases a request" in batch["description"]
    rows = schemas["ScreenBatchOut"]["properties"]["rows"]["items"]
    assert {r["$ref"] for r in rows["anyOf"]} == {"#/components/schemas/ScreenedRow", "#/components/schemas/ErrorRow"}
    ids = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert ids == {"screen", "propose", "check", "allocate", "screen_batch", "interventions", "catalog", "briefing", "healthz"}
    for op in (doc["paths"]["/v1/screen"]["post"], batch):
        assert {"400", "403", "413", "415", "422"} <= set(op["responses"])


def test_every_batch_row_is_described_by_the_document(base: str) -> None:
    _, doc, _ = get(base, "/openapi.json")
    schemas = doc["components"]["schemas"]
    cases = _cases(2) + [{"id": "bad", "risk": {"ogrs3_2yr": 160}}, ["not", "a", "case"]]
    status, out, _ = post(base, "/v1/screen-batch", {"cases": cases, "on": ON})
    assert status == 200
    for row in out["rows"]:
        kind = "ErrorRow" if "errors" in row else "ScreenedRow"
        assert set(row) == set(schemas[kind]["properties"]), row
        for result in row.get("results", []):
            assert set(result) == set(schemas["BatchDecision"]["properties"])
            assert result["decision"] in schemas["BatchDecision"]["properties"]["decision"]["enum"]


# ---- slow clients --------------------------------------------------------------------------------


def test_slow_connections_beyond_the_file_limit_lock_nobody_out_and_flood_no_log() -> None:
    # 1,100 slow connections to a server with 1,024 files locked out every client, and asyncio's
    # accept loop wrote 81 MB of tracebacks in 45 s
    with cli_server(files=256) as served:
        port = int(served.url.rsplit(":", 1)[1])
        slow: list[socket.socket] = []
        try:
            for _ in range(400):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(b"POST /v1/screen HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                slow.append(s)
            time.sleep(1.5)  # older than a second: a new client may now take a slow one's place
            for s in slow:
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Slow: 1\r\n")
            for _ in range(5):
                t0 = time.perf_counter()
                assert get(served.url, "/healthz")[0] == 200
                assert time.perf_counter() - t0 < 5
                assert post(served.url, "/v1/screen", {"case": {"id": "a"}, "on": ON})[0] == 200
        finally:
            for s in slow:
                s.close()
        log = served.stop()
    assert "Traceback" not in log and "out of system resource" not in log
    assert len(log.encode()) < 20_000, f"{len(log):,} characters of log"
    assert log.count("closed connections") <= 2


def test_a_half_sent_request_is_closed_after_the_header_and_body_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from ratecard.web import protocol

    monkeypatch.setattr(protocol, "HEADER_SECONDS", 1.0)
    monkeypatch.setattr(protocol, "BODY_SECONDS", 1.0)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(default_catalog()), http=protocol.GuardedH11, log_config=None,
                                           lifespan="off"))
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    try:
        wait_until_up(port)
        for start, trickle in ((b"POST /v1/screen HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n"),
                               (b"POST /v1/screen HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                b"Content-Length: 1000\r\n\r\n{", b" ")):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(start)
                t0 = time.monotonic()
                closed = False
                while time.monotonic() - t0 < 8 and not closed:
                    time.sleep(0.2)
                    try:
                        s.sendall(trickle)
                        s.settimeout(0.01)
                        closed = s.recv(1024) == b""
                    except socket.timeout:
                        pass
                    except OSError:
                        closed = True
                assert closed, "a trickling client was held for 8 s"
                assert time.monotonic() - t0 < 4
        # a kept-alive connection is still timed on its next request
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):
                answer += s.recv(65536)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            t0 = time.monotonic()
            s.settimeout(8)
            assert s.recv(1024) == b""
            assert time.monotonic() - t0 < 4
    finally:
        server.should_exit = True
        t.join(timeout=10)
        sock.close()


def test_the_startup_message_says_what_the_token_protects() -> None:
    with cli_server(env={"RATECARD_API_TOKEN": "s3cret"}) as served:
        assert get(served.url, "/v1/catalog")[0] == 401
        assert get(served.url, "/")[0] == 200
        log = served.stop()
    assert "RATECARD_API_TOKEN is set: every /v1 request needs" in log
    assert "does not cover the web page (/, /edit, /result, /upload)" in log
    assert "s3cret" not in log
