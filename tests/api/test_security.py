"""Security: the API key, safe file serving, policy uploads through skops' allow-list, body limits."""

from __future__ import annotations

import asyncio
import io
import json
import pickle
import sqlite3
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import TINY_RUN, make_client, state_of, wait_job, zero_state

KEY = "correct horse battery staple"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


# ------------------------------------------------------------------------------ ASGI helper


def call_asgi(
    app: Any,
    method: str,
    raw_path: bytes,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
) -> tuple[int, bytes, int]:
    """Send one request straight to the ASGI app (no client normalising the path).

    Returns the status, the body, and how many body chunks the app pulled.
    """
    pulled = 0
    parts = list(chunks or [])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < len(parts):
            pulled += 1
            return {
                "type": "http.request",
                "body": parts[pulled - 1],
                "more_body": pulled < len(parts),
            }
        if not parts and pulled == 0:
            pulled += 1
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)  # the client never sends more
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path.decode("latin-1")),
        "raw_path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled


# --------------------------------------------------------------------------------- API key


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("keyed")
    with make_client(data_dir, api_key=KEY) as client:
        yield client, data_dir


def _unsafe_routes(app: Any) -> list[tuple[str, str]]:
    """Every documented (method, path) that may change state, path parameters filled in."""
    out = []
    for template, operations in app.openapi()["paths"].items():
        path = template.replace("{name}", "x")
        for param in ("job_id", "dataset_id", "policy_id"):
            path = path.replace("{" + param + "}", "0" * 32)
        out.extend((m.upper(), path) for m in operations if m.upper() in UNSAFE)
    return out


REAL_BODIES: dict[str, dict[str, Any]] = {
    "/datasets/builtin": {"json": {"name": "aer_goldsilver"}},
    "/simulations": {"json": TINY_RUN},
    "/train": {"json": {}},
    "/experiments": {"json": {"spec": {"name": "k", "root_seed": 1, "steps": 48, "holders": 200}}},
    "/datasets/upload": {
        "files": {"file": ("g.csv", b"date,price\n2020-01-02,1500\n", "text/csv")}
    },
    "/policies": {"files": {"file": ("p.skops", b"PK\x03\x04", "application/zip")}},
}


def test_every_state_changing_route_needs_the_key(keyed: Any) -> None:
    client, data_dir = keyed
    routes = _unsafe_routes(client.app)
    # Every family of the API is covered (a new POST route is covered automatically).
    assert {p for _, p in routes} >= {"/simulations", "/train", "/datasets/builtin", "/policies"}
    before = state_of(data_dir)
    for method, path in routes:
        kwargs = REAL_BODIES.get(path, {"json": {"states": [zero_state()]}})
        for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}):
            response = client.request(method, path, headers=headers, **kwargs)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert "X-API-Key" in response.json()["detail"]
    assert state_of(data_dir) == before


def test_the_key_lets_calls_through_and_reads_stay_open(keyed: Any) -> None:
    client, data_dir = keyed
    response = client.post("/datasets/builtin", json={}, headers={"X-API-Key": KEY})
    assert response.status_code == 201
    assert client.get("/datasets").status_code == 200
    assert client.get(f"/datasets/{response.json()['id']}").status_code == 200
    assert client.get("/health").json()["status"] == "ok"
    assert len(state_of(data_dir)["tables"]["datasets"]) == 1


def test_401_comes_before_the_body_is_read(keyed: Any) -> None:
    client, _ = keyed
    status, body, pulled = call_asgi(
        client.app,
        "POST",
        b"/simulations",
        headers=[(b"content-type", b"application/json")],
        chunks=[b"{" * 1000] * 5,
    )
    assert status == 401
    assert pulled == 0
    assert b"X-API-Key" in body


def test_openapi_documents_the_key(keyed: Any) -> None:
    client, _ = keyed
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "401" in schema["paths"]["/simulations"]["post"]["responses"]


# ------------------------------------------------------------------------------- traversal


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("served")
    (data_dir / "secret.txt").write_text("TOP-SECRET", encoding="utf-8")
    with make_client(data_dir) as client:
        job = wait_job(client, client.post("/simulations", json=TINY_RUN).json()["id"])
        assert job["status"] == "succeeded"
        yield client, data_dir, job["id"]


TRAVERSALS = [
    b"../../secret.txt",
    b"..%2F..%2Fsecret.txt",
    b"%2e%2e%2f%2e%2e%2fsecret.txt",
    b"%2E%2E/%2E%2E/secret.txt",
    b"%252e%252e%252f%252e%252e%252fsecret.txt",
    b"%25252e%25252e%25252fsecret.txt",
    b"..%5C..%5Csecret.txt",
    b"/etc/passwd",
    b"%2Fetc%2Fpasswd",
    b"C:%5Cwindows%5Cwin.ini",
    b"summary.json%00.png",
    b"./summary.json",
]


@pytest.mark.parametrize("tail", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
@pytest.mark.parametrize("route", ["/jobs/{id}/files/", "/simulations/{id}/plots/"])
def test_traversal_is_refused(served: Any, route: str, tail: bytes) -> None:
    client, _, job_id = served
    raw = route.replace("{id}", job_id).encode() + tail
    status, body, _ = call_asgi(client.app, "GET", raw)
    assert status == 400, (raw, status, body)
    assert b"TOP-SECRET" not in body
    assert b"root:" not in body


def test_absolute_path_to_a_real_file_is_refused(served: Any) -> None:
    client, data_dir, job_id = served
    secret = str((data_dir / "secret.txt").resolve()).encode()
    status, body, _ = call_asgi(client.app, "GET", f"/jobs/{job_id}/files/".encode() + secret)
    assert status == 400
    assert b"TOP-SECRET" not in body


def test_symlink_out_of_the_job_is_refused(served: Any) -> None:
    client, data_dir, job_id = served
    job_dir = data_dir / "jobs" / job_id
    (job_dir / "leak.png").symlink_to(data_dir / "secret.txt")
    db = sqlite3.connect(data_dir / "gramabm.sqlite3")
    files = json.loads(db.execute("SELECT files FROM jobs WHERE id = ?", (job_id,)).fetchone()[0])
    db.execute("UPDATE jobs SET files = ? WHERE id = ?", (json.dumps([*files, "leak.png"]), job_id))
    db.commit()
    db.close()
    response = client.get(f"/simulations/{job_id}/plots/leak")
    assert response.status_code == 400
    assert "TOP-SECRET" not in response.text


def test_plain_names_still_work(served: Any) -> None:
    client, _, job_id = served
    status, body, _ = call_asgi(client.app, "GET", f"/jobs/{job_id}/files/summary.json".encode())
    assert status == 200
    assert json.loads(body)["steps"] == 48


# ------------------------------------------------------------------------- policy uploads


class Booby:
    """A type no allow-list holds; building it would leave a mark."""

    MARK: Path | None = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        if Booby.MARK is not None:
            Booby.MARK.write_text("built", encoding="utf-8")
        self.__dict__.update(state)


def _forged_policy_file(payload: bytes) -> bytes:
    """A file that passes the container, format and digest checks but carries ``payload``."""
    from gramabm.policies.io import META_MEMBER, _payload_digest, policy_metadata
    from gramabm.policies.learned import LogisticPolicy

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(payload)) as inner, zipfile.ZipFile(buffer, "w") as out:
        meta = policy_metadata(LogisticPolicy())
        meta["payload_sha256"] = _payload_digest(inner)
        for name in inner.namelist():
            out.writestr(name, inner.read(name))
        out.writestr(META_MEMBER, json.dumps(meta))
    return buffer.getvalue()


@pytest.fixture
def fresh(tmp_path: Path) -> Any:
    with make_client(tmp_path) as client:
        yield client, tmp_path


def test_a_pickle_is_never_opened(fresh: Any) -> None:
    client, data_dir = fresh
    before = state_of(data_dir)
    response = client.post(
        "/policies", files={"file": ("p.pkl", pickle.dumps({"a": 1}), "application/octet-stream")}
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    assert "pickle" in detail["msg"]
    assert state_of(data_dir) == before


def test_a_foreign_type_is_refused_before_it_is_built(fresh: Any, tmp_path: Path) -> None:
    import skops.io as sio

    client, data_dir = fresh
    Booby.MARK = tmp_path / "mark"
    forged = _forged_policy_file(sio.dumps(Booby()))
    before = state_of(data_dir)
    try:
        response = client.post("/policies", files={"file": ("p.skops", forged, "application/zip")})
    finally:
        mark, Booby.MARK = Booby.MARK, None
    assert response.status_code == 422
    msg = response.json()["detail"][0]["msg"]
    assert "allow-list" in msg
    assert "Booby" in msg
    assert not mark.exists()
    assert state_of(data_dir) == before


def test_foreign_skops_and_tampered_files_are_refused(
    fresh: Any, trained: dict, api: TestClient
) -> None:
    import skops.io as sio

    client, data_dir = fresh
    before = state_of(data_dir)
    # A plain skops file of another program (no gramabm metadata).
    plain = sio.dumps({"weights": [1, 2, 3]})
    response = client.post("/policies", files={"file": ("x.skops", plain, "application/zip")})
    assert response.status_code == 422
    assert "gramabm.json" in response.json()["detail"][0]["msg"]
    # A genuine policy file with one byte of its schema changed.
    genuine = api.get(f"/policies/{trained['result']['policy_id']}/file").content
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(genuine)) as src, zipfile.ZipFile(buffer, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "schema.json":
                data = data.replace(b'"', b' "', 1)
            out.writestr(name, data)
    response = client.post(
        "/policies", files={"file": ("t.skops", buffer.getvalue(), "application/zip")}
    )
    assert response.status_code == 422
    assert "digest" in response.json()["detail"][0]["msg"]
    assert state_of(data_dir) == before


# ------------------------------------------------------------------------------ body size


def test_declared_oversize_body_is_refused_unread(tmp_path: Path) -> None:
    with make_client(tmp_path, max_body_bytes=10_000, max_upload_bytes=5_000) as client:
        status, body, pulled = call_asgi(
            client.app,
            "POST",
            b"/simulations",
            headers=[(b"content-type", b"application/json"), (b"content-length", b"50000000")],
            chunks=[b" " * 65536] * 800,
        )
    assert status == 413
    assert pulled == 0
    assert b"10000" in body


def test_streamed_oversize_body_is_cut_off(tmp_path: Path) -> None:
    head = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="g.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\ndate,price\n"
    )
    body = head + b"2020-01-02,1500.0\n" * 200_000 + b"\r\n--xyz--\r\n"
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    with make_client(tmp_path, max_body_bytes=10_000, max_upload_bytes=5_000) as client:
        before = state_of(tmp_path)
        status, answer, pulled = call_asgi(
            client.app,
            "POST",
            b"/datasets/upload",
            headers=[(b"content-type", b"multipart/form-data; boundary=xyz")],
            chunks=chunks,
        )
        assert status == 413, answer
        assert len(chunks) > 800
        # 10,000 bytes is passed on the third chunk of 4,096: reading stops there.
        assert pulled == 3
        assert state_of(tmp_path) == before


def test_oversize_json_through_the_client(tmp_path: Path) -> None:
    with make_client(tmp_path, max_body_bytes=2_000, max_upload_bytes=1_000) as client:
        before = state_of(tmp_path)
        big = {**TINY_RUN, "scenario_params": {f"k{i}": "x" * 100 for i in range(19)}}
        response = client.post("/simulations", json=big)
        assert response.status_code == 413
        assert state_of(tmp_path) == before


def test_bad_content_length_is_400(tmp_path: Path) -> None:
    with make_client(tmp_path) as client:
        status, _, pulled = call_asgi(
            client.app, "POST", b"/simulations", headers=[(b"content-length", b"12abc")]
        )
    assert status == 400
    assert pulled == 0
