"""The JSON API as other systems use it: a real server on localhost, answers compared with the CLI's
own --json output (the CLI run in a subprocess), and every kind of refusal a caller can meet."""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")

from ratecard import default_catalog  # noqa: E402
from ratecard.web.app import create_app  # noqa: E402
from ratecard.web.guard import MAX_BODY  # noqa: E402

from ..catalog_copy import REPO  # noqa: E402
from .servers import CASES, ON, case_dict, cli_json, cli_server, get, post, thread_server, wait_until_up  # noqa: E402

AFTER = REPO / "examples" / "after-sentence" / "dv-rar-supervision-recorded-risk-rises.yaml"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with thread_server(create_app(default_catalog())) as url:
        yield url


@pytest.mark.parametrize("name", ["dv-first-conviction-sso-fifties.yaml", "no-risk-scores.yaml", "woman-corby-family-needs.yaml"])
def test_screen_and_propose_answer_exactly_as_the_cli(base: str, name: str) -> None:
    for command in ("screen", "propose"):
        status, body, headers = post(base, f"/v1/{command}", {"case": case_dict(name), "on": ON})
        assert status == 200, body
        assert headers["content-type"] == "application/json"
        assert body == cli_json(command, str(CASES / name), "--on", ON)


def test_check_and_allocate_answer_exactly_as_the_cli(base: str) -> None:
    case = case_dict("../after-sentence/dv-rar-supervision-recorded-risk-rises.yaml")
    status, body, _ = post(base, "/v1/check", {"case": case, "intervention": "bold_moves_motivation", "on": ON})
    assert status == 200, body
    assert body == cli_json("check", str(AFTER), "bold_moves_motivation", "--on", ON)
    status, body, _ = post(base, "/v1/allocate", {"case": case, "on": ON})
    assert status == 200, body
    assert body == cli_json("allocate", str(AFTER), "--on", ON)


def test_propose_options_are_the_cli_options(base: str) -> None:
    name = "dv-first-conviction-sso-fifties.yaml"
    status, body, _ = post(base, "/v1/propose", {"case": case_dict(name), "on": ON, "rar_days": 5, "order_months": 12,
                                                  "margin_weeks": 2})
    assert status == 200, body
    assert body == cli_json("propose", str(CASES / name), "--on", ON, "--rar-days", "5", "--order-months", "12",
                            "--margin-weeks", "2")


def test_the_reference_date_defaults_to_today_and_is_echoed(base: str) -> None:
    import datetime as dt

    status, body, _ = post(base, "/v1/screen", {"case": {"id": "no-date"}})
    assert status == 200
    assert body["on"] == dt.date.today().isoformat()
    status, body, _ = post(base, "/v1/screen", {"case": {"id": "a-date"}, "on": "2016-12-31"})
    assert body["on"] == "2016-12-31"


def _cli_problems(tmp_path: Path, case: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) of each problem the CLI prints for `case` written to a JSON file."""
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, indent=2))
    r = subprocess.run([sys.executable, "-m", "ratecard", "screen", str(path), "--on", ON, "--json"],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    out = []
    for line in r.stderr.splitlines()[1:]:
        m = re.match(r"\s+[^:]+(?::\d+)?: (?:([\w.]+): )?(.*)$", line)
        assert m, line
        out.append((m.group(1) or "", m.group(2)))
    return out


BAD_CASES = {
    "out of range": {"id": "a", "risk": {"ogrs3_2yr": 150}},
    "unknown field": {"id": "a", "risk": {"ogrs": 30}},
    "text for a number": {"id": "a", "sentence": {"rar_days": "20"}},
    "not an allowed value": {"id": "a", "person": {"sex": "m"}},
    "two problems": {"id": "a", "person": {"sex": "m", "date_of_birth": "1990-02-30"}},
    "born after the date": {"id": "a", "person": {"date_of_birth": "2020-01-01"}},
    "rule across fields": {"id": "a", "sentence": {"rar_days": 10, "requirements": ["unpaid_work"]}},
}


@pytest.mark.parametrize("what", sorted(BAD_CASES))
def test_a_bad_field_is_422_with_its_path_and_the_cli_message(base: str, tmp_path: Path, what: str) -> None:
    case = BAD_CASES[what]
    status, body, _ = post(base, "/v1/screen", {"case": case, "on": ON})
    assert status == 422, body
    assert body["error"] == "invalid_input"
    got = [(p["field"], p["message"]) for p in body["problems"]]
    want = [(f"case.{f}" if f else "case", m) for f, m in _cli_problems(tmp_path, case)]
    assert sorted(got) == sorted(want)
    assert "Traceback" not in body["detail"]


@pytest.mark.parametrize("body, field", [
    (b'{"case": {"id": "a"}, "on": "2017-02-30"}', "on"),
    (b'{"case": {"id": "a"}, "rar_days": 0}', "rar_days"),
    (b'{"case": {"id": "a"}, "extra": 1}', "extra"),
    (b'{"on": "2017-03-01"}', "case"),
])
def test_bad_request_fields_are_named(base: str, body: bytes, field: str) -> None:
    status, out, _ = post(base, "/v1/propose", body)
    assert status == 422
    assert [p["field"] for p in out["problems"]] == [field]


@pytest.mark.parametrize("body, words", [
    (b"", "is empty"),
    (b'{"case": ', "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"case": {"id": "a", "id": "b"}}', "duplicate key 'id'"),
    (b'{"case": {"id": "a", "risk": {"ogrs3_2yr": NaN}}}', "NaN is not a JSON number"),
    (b'{"case": {"id": "\xc3\x28"}}', "not UTF-8"),
    (b"\xff\xfe{}", "UTF-16"),
])
def test_unreadable_bodies_are_422_with_a_plain_message(base: str, body: bytes, words: str) -> None:
    status, out, _ = post(base, "/v1/screen", body)
    assert status == 422
    assert words in out["detail"]


def test_bodies_over_1_mib_are_413_and_up_to_it_are_read(base: str) -> None:
    small = json.dumps({"case": {"id": "padded"}, "on": ON}).encode()
    exactly = small + b" " * (MAX_BODY - len(small))
    status, out, _ = post(base, "/v1/screen", exactly)
    assert status == 200 and out["case_id"] == "padded"
    status, out = _declare_too_large(base, "/v1/screen")
    assert status == 413
    assert out["error"] == "too_large" and "1024 KiB" in out["detail"]


def _declare_too_large(base: str, path: str) -> tuple[int, Any]:
    """Announce a body one byte over the limit and send only its start: the answer (413) comes
    before the body is read, so a client still sending would see the connection close on it."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {MAX_BODY + 1}\r\n\r\n{{".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_chunked_body_over_1_mib_is_413_too(base: str) -> None:
    # no Content-Length: the limit is counted as the body arrives
    c = http.client.HTTPConnection(base.split("//")[1], timeout=60)
    chunks = [b'{"case": {"id": "x"}, "pad": "'] + [b"y" * 65536] * 16 + [b'"}']  # just over 1 MiB
    c.request("POST", "/v1/screen", body=iter(chunks), headers={"Content-Type": "application/json"}, encode_chunked=True)
    r = c.getresponse()
    assert r.status == 413
    assert json.loads(r.read())["error"] == "too_large"


def test_an_unknown_intervention_is_404_with_did_you_mean_as_the_cli_says(base: str) -> None:
    name = "dv-first-conviction-sso-fifties.yaml"
    status, out, _ = post(base, "/v1/check", {"case": case_dict(name), "intervention": "bbrr", "on": ON})
    assert status == 404
    assert "Did you mean: bbr?" in out["detail"]
    r = subprocess.run([sys.executable, "-m", "ratecard", "check", str(CASES / name), "bbrr", "--on", ON],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 1
    assert out["detail"] in r.stderr


def test_catalog_interventions_and_health(base: str) -> None:
    cat = default_catalog()
    status, info, _ = get(base, "/v1/catalog")
    assert status == 200
    assert (info["version"], info["name"], info["edition"]) == (cat.version, cat.info.name, cat.info.edition)
    status, items, _ = get(base, "/v1/interventions")
    assert [i["id"] for i in items] == sorted(cat.interventions)
    withdrawn = {i["id"] for i in items if i["status"]["state"] == "withdrawn"}
    assert withdrawn == {k for k, v in cat.interventions.items() if v.status.state == "withdrawn"}
    assert get(base, "/healthz")[:2] == (200, {"status": "ok"})


def test_briefing_in_three_formats_and_unknown_area(base: str) -> None:
    status, data, _ = get(base, f"/v1/briefing?area=northamptonshire&town=corby&on={ON}")
    assert status == 200
    assert (data["area"], data["town"], data["on"], data["catalog_version"]) == ("northamptonshire", "corby", ON, default_catalog().version)
    status, md, headers = get(base, f"/v1/briefing?area=northamptonshire&on={ON}&format=md")
    assert status == 200 and headers["content-type"].startswith("text/markdown")
    cli = subprocess.run([sys.executable, "-m", "ratecard", "brief", "--area", "northamptonshire", "--on", ON, "--format", "md"],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert md == cli.stdout
    status, html, headers = get(base, f"/v1/briefing?area=northamptonshire&on={ON}&format=html")
    assert status == 200 and headers["content-type"].startswith("text/html") and "<h1" in html
    status, out, _ = get(base, "/v1/briefing?area=northants")
    assert status == 404 and "northamptonshire" in out["detail"]
    status, out, _ = get(base, "/v1/briefing?area=northamptonshire&format=pdf")
    assert status == 422 and out["problems"][0]["field"] == "format"


def test_answers_are_never_cached_and_pages_load_nothing_from_elsewhere(base: str) -> None:
    _, _, headers = post(base, "/v1/screen", {"case": {"id": "a"}, "on": ON})
    assert headers["cache-control"] == "no-store"
    _, page, headers = get(base, "/")
    assert headers["cache-control"] == "no-store"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert not re.search(r"""(src|href)=["']https?://""", page), "the page must not load anything from another site"


def test_openapi_describes_the_request_bodies_and_no_page_loads_a_cdn(base: str) -> None:
    status, doc, _ = get(base, "/openapi.json")
    assert status == 200
    schemas = doc["components"]["schemas"]
    for name in ("ScreenRequest", "ProposeRequest", "CheckRequest", "AllocateRequest", "Case", "Screen", "Proposal"):
        assert name in schemas
    body = doc["paths"]["/v1/screen"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ScreenRequest"}
    assert set(doc["paths"]["/v1/screen"]["post"]["responses"]) >= {"200", "413", "422"}
    assert get(base, "/docs")[0] == 404  # Swagger UI would load scripts from a CDN


def test_a_token_guards_every_api_route_and_only_those() -> None:
    with thread_server(create_app(default_catalog(), token="s3cret-token")) as url:
        body = {"case": {"id": "a"}, "on": ON}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
            status, out, h = post(url, "/v1/screen", body, headers)
            assert status == 401 and out["error"] == "unauthorized" and h["www-authenticate"] == "Bearer"
        for path in ("/v1/catalog", "/v1/interventions", "/v1/briefing?area=northamptonshire"):
            assert get(url, path)[0] == 401
        assert post(url, "/v1/screen", body, {"Authorization": "Bearer s3cret-token"})[0] == 200
        assert get(url, "/v1/catalog", {"Authorization": "Bearer s3cret-token"})[0] == 200
        assert get(url, "/healthz")[0] == 200
        status, doc, _ = get(url, "/openapi.json")
        assert doc["paths"]["/v1/screen"]["post"]["security"] == [{"HTTPBearer": []}]


SECRET = {"id": "CASE-REF-7731", "person": {"sex": "female", "date_of_birth": "1971-04-09", "home_town": "kettering"},
          "risk": {"ogrs3_2yr": 61.25}}


def _log_lines(caplog: pytest.LogCaptureFixture, n: int) -> list[str]:
    # the line is written once the answer has gone out, so the client can be a moment ahead of it
    end = time.monotonic() + 5
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == "ratecard.web"]
        if len(lines) >= n or time.monotonic() > end:
            assert len(lines) == n, lines
            return lines
        time.sleep(0.02)


def test_the_log_has_method_path_status_and_time_only(base: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ratecard.web")
    post(base, "/v1/screen?case=CASE-REF-7731", {"case": SECRET, "on": ON})
    post(base, "/v1/screen", {"case": {**SECRET, "risk": {"ogrs3_2yr": 161.25}}, "on": ON})
    lines = _log_lines(caplog, 2)
    for line in lines:
        assert re.fullmatch(r"POST /v1/screen (200|422) \d+\.\dms", line), line
    assert not any(s in caplog.text for s in ("CASE-REF-7731", "1971", "kettering", "61.25"))


def test_an_unexpected_failure_is_a_500_that_logs_no_case_data(monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    import ratecard.web.api as api

    def broken(case: Any, *a: Any, **k: Any) -> Any:
        raise ValueError(f"cannot handle {case.id} born {case.person.date_of_birth}")

    monkeypatch.setattr(api, "screen", broken)
    caplog.set_level(logging.INFO)
    with thread_server(create_app(default_catalog())) as url:
        status, out, _ = post(url, "/v1/screen", {"case": SECRET, "on": ON})
    assert status == 500 and out["error"] == "server_error"
    assert "CASE-REF-7731" not in json.dumps(out)
    end = time.monotonic() + 5
    while "unhandled ValueError at" not in caplog.text and time.monotonic() < end:
        time.sleep(0.02)  # logged once the answer has gone out
    assert "unhandled ValueError at" in caplog.text
    assert "CASE-REF-7731" not in caplog.text and "1971" not in caplog.text


def test_ratecard_serve_binds_localhost_and_its_log_holds_no_case_data() -> None:
    with cli_server() as served:
        url = served.url
        assert post(url, "/v1/screen", {"case": SECRET, "on": ON})[0] == 200
        assert post(url, "/v1/propose", {"case": SECRET, "on": ON})[0] == 200
        err = served.stop()
    assert f"Uvicorn running on {url}" in err and url.startswith("http://127.0.0.1:")
    assert re.search(r"ratecard.web: POST /v1/screen 200 \d+\.\dms", err)
    assert not any(s in err for s in ("CASE-REF-7731", "1971", "kettering", "61.25", "HTTP/1.1"))
    assert not re.search(r"127\.0\.0\.1:\d+ -", err), "no client addresses in the log"


def test_serve_without_the_serve_extras_says_what_to_install() -> None:
    # fastapi hidden from the import system, as in a core-only install
    code = "import sys; sys.modules['fastapi'] = None; from ratecard.cli import main; main(['serve'])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    # the command for this installation, never a package name on the public index
    assert "needs the 'serve' extra" in r.stderr and "-m pip install" in r.stderr and "'ratecard[serve]'" not in r.stderr


def test_behind_a_proxy_at_a_sub_path_links_and_errors_still_work() -> None:
    # the proxy strips /ratecard; `ratecard serve --root-path /ratecard` puts it back in links
    with thread_server(create_app(default_catalog()), root_path="/ratecard") as url:
        _, page, _ = get(url, "/")
        assert 'href="/ratecard/static/govuk/govuk-frontend.min.css"' in page and 'action="/ratecard/result"' in page
        status, _, headers = get(url, "/static/ratecard.css")
        assert status == 200 and headers.get("cache-control") != "no-store"
        status, out = _declare_too_large(url, "/v1/screen")
        assert status == 413 and out["error"] == "too_large"
        assert post(url, "/v1/screen", {"case": {"id": "a"}, "on": ON})[0] == 200


@pytest.mark.parametrize("fixed", [True, False])
def test_connections_on_a_pre_bound_socket_get_tcp_nodelay(fixed: bool) -> None:
    """`--workers N` serves on a socket uvicorn binds itself (proto 0), where asyncio leaves Nagle's
    algorithm on and keep-alive answers wait ~40 ms for a delayed ACK. ratecard's protocol turns it
    off; plain uvicorn (the control) does not."""
    import threading

    import uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from ratecard.web.protocol import GuardedH11

    seen: list[int] = []

    class Recorder(GuardedH11 if fixed else H11Protocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)  # as uvicorn's Config.bind_socket makes it
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(default_catalog()), http=Recorder, log_config=None, lifespan="off"))
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    try:
        wait_until_up(port)
        assert seen and all(v == (1 if fixed else 0) for v in seen)
    finally:
        server.should_exit = True
        t.join(timeout=10)
        sock.close()


def test_screen_batch_answers_as_the_cli_writes_it(base: str, tmp_path: Path) -> None:
    cases = [case_dict(n) for n in ("dv-first-conviction-sso-fifties.yaml", "no-risk-scores.yaml")]
    cases.insert(1, {"id": "bad-one", "risk": {"ogrs3_2yr": 160}})
    cases.append(["not", "a", "case"])
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(c) + "\n" for c in cases))
    out = tmp_path / "out.jsonl"
    r = subprocess.run([sys.executable, "-m", "ratecard", "screen-batch", str(source), "--on", ON, "--out", str(out)],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 1, r.stderr  # some rows were errors
    want = [json.loads(line) for line in out.read_text().splitlines()]
    status, body, _ = post(base, "/v1/screen-batch", {"cases": cases, "on": ON})
    assert status == 200, body
    assert body["rows"] == want
    assert (body["screened"], body["errors"], body["on"]) == (2, 2, ON)
    assert body["catalog_version"] == default_catalog().version
    assert post(base, "/v1/screen-batch", {"cases": [], "on": ON})[0] == 422
