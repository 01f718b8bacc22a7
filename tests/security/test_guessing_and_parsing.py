"""Reproductions of guessing and parsing attacks against a real server with two workers.

Each test sends its requests from its own loopback source address (127.0.0.2, 127.0.0.3, ...), so
the per-address counts of one test never lock another test out.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from lxml import etree

from tests import jwtkit
from tests.conftest import Admin
from tests.keyfiles import RSA_SETTINGS
from tests.stskit import (
    JWT_PROC,
    SAML20_PROC,
    WSSE,
    fault_code,
    requested_token,
    username_setup,
    with_token,
    wst2005_issue,
)
from tests.system.server import (
    ADMIN_USER,
    APP,
    HEARTBEAT,
    XSRF,
    Server,
    child_env,
    cli,
    client_body,
    configure,
    poll,
    server_factory,
    worker_of,
)

LIMIT = 10  # the default --throttle-failures
LOCKOUT = 60  # the default --throttle-lockout: seconds of the first lock
STARTUP = 90.0  # seconds
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with server_factory(tmp_path_factory.mktemp("security")) as start:
        running = start(workers=2, ready=False)
        running.wait_ready(STARTUP)  # a loaded machine can take a while to start two workers
        running.password = running.printed_password()
        running.wait_workers(timeout=STARTUP)
        with running.admin() as admin:
            configure(admin)
        asyncio.run(_sts_setup(running))
        yield running
        assert "Traceback" not in running.stderr(), running.stderr()


async def _sts_setup(server: Server) -> None:
    """The API tests' UsernameToken set-up (user alice), sent to the real server's admin port."""
    async def to_server(request: httpx.Request) -> None:
        request.url = request.url.copy_with(port=server.admin_port)

    assert server.password is not None
    async with httpx.AsyncClient(auth=(ADMIN_USER, server.password), headers=XSRF, timeout=30,
                                 event_hooks={"request": [to_server]}) as http:
        await username_setup(Admin(http))


def per_worker(server: Server, address: str, base_url: str | None = None) -> dict[str, httpx.Client]:
    """One keep-alive client from ``address`` on each worker."""
    found: dict[str, httpx.Client] = {}

    def complete() -> bool:
        client = httpx.Client(base_url=base_url or server.runtime_url, timeout=10,
                              transport=httpx.HTTPTransport(local_address=address),
                              limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
        worker = worker_of(client.get(HEARTBEAT))
        if worker in found:
            client.close()
        else:
            found[worker] = client
        return len(found) == server.workers

    poll(complete, 20, "a connection on every worker", 0.01)
    return found


def metric(server: Server, name: str, value: str, label: str = "secret") -> float:
    text = httpx.get(f"http://127.0.0.1:{server.admin_port}/metrics", timeout=10).text
    found = re.search(rf'^{name}{{{label}="{value}"}} (\S+)$', text, re.MULTILINE)
    assert found, text
    return float(found.group(1))


def unlock(server: Server, *args: str) -> str:
    done = cli("admin", "unlock", "--data-dir", str(server.data_dir), *args, env=child_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_500_wrong_client_secrets_then_the_right_one_is_throttled_and_not_confirmed(server: Server) -> None:
    clients = list(per_worker(server, "127.0.0.2").values())
    throttled_before = metric(server, "tokensmith_throttled_total", "client")
    answers = [clients[i % 2].post("/as/token.oauth2", data={"grant_type": "client_credentials"},
                                   auth=(APP[0], f"wrong-{i}")) for i in range(500)]
    statuses = [a.status_code for a in answers]
    assert statuses[:LIMIT] == [401] * LIMIT  # both workers counted into one shared count
    assert set(statuses[LIMIT:]) == {429}
    retry_after = [int(a.headers["retry-after"]) for a in answers[LIMIT:]]
    for client in clients:  # the right secret is refused like a wrong one, on every endpoint and worker
        for path, data in (("/as/token.oauth2", {"grant_type": "client_credentials"}),
                           ("/as/introspect.oauth2", {"token": "x"}), ("/as/revoke_token.oauth2", {"token": "x"})):
            answer = client.post(path, data=data, auth=APP)
            assert answer.status_code == 429, (path, answer.text)
            assert answer.json()["error"] == "invalid_client"
            retry_after.append(int(answer.headers["retry-after"]))
    # Throttled attempts are not failures: the first lock (LOCKOUT seconds) is never extended by them, so
    # Retry-After only counts down. Were they counted, each would double the lock towards 900 s.
    assert max(retry_after) <= LOCKOUT, retry_after
    assert retry_after == sorted(retry_after, reverse=True), retry_after
    assert metric(server, "tokensmith_throttled_total", "client") - throttled_before >= 500 - LIMIT + 6
    assert "cleared 1" in unlock(server, "--client", APP[0])
    for client in clients:
        assert client.post("/as/token.oauth2", data={"grant_type": "client_credentials"}, auth=APP).status_code == 200
        client.close()


def test_30_wrong_admin_passwords_lock_the_administrator_out_of_the_api_and_the_console(server: Server) -> None:
    assert server.password is not None
    transport = httpx.HTTPTransport(local_address="127.0.0.3")
    with httpx.Client(base_url=server.admin_url, headers=XSRF, timeout=10, transport=transport) as api:
        answers = [api.get("/oauth/clients", auth=(ADMIN_USER, f"wrong-{i}")) for i in range(30)]
        assert [a.status_code for a in answers[:LIMIT]] == [401] * LIMIT
        assert {a.status_code for a in answers[LIMIT:]} == {429}
        assert answers[-1].json()["resultId"] == "too_many_requests"
        right = api.get("/oauth/clients", auth=(ADMIN_USER, server.password))
        assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1
    with httpx.Client(base_url=f"http://127.0.0.1:{server.admin_port}", timeout=10,
                      transport=httpx.HTTPTransport(local_address="127.0.0.3")) as browser:
        page = browser.get("/console/login")
        token = LOGIN_TOKEN.search(page.text)
        assert token is not None
        console = browser.post("/console/login", data={"username": ADMIN_USER, "password": server.password,
                                                       "login_token": token.group(1), "next": "/console/"})
        assert console.status_code == 429 and "Too many failed sign-ins" in console.text
    assert "Unlocked administrator" in unlock(server, ADMIN_USER)
    with httpx.Client(base_url=server.admin_url, headers=XSRF, timeout=10, transport=transport) as api:
        assert api.get("/oauth/clients", auth=(ADMIN_USER, server.password)).status_code == 200


def test_wrong_usernametoken_passwords_are_throttled_across_workers(server: Server) -> None:
    clients = list(per_worker(server, "127.0.0.4").values())
    headers = {"content-type": "text/xml"}
    for client in clients:  # the right pair, now in each worker's verified-credential cache
        assert client.post("/pf/sts.wst", content=wst2005_issue("alice", "alice-password-1"),
                           headers=headers).status_code == 200
    for i in range(3):  # the processor's "Authentication Attempts" (3), alternating workers
        wrong = clients[i % 2].post("/pf/sts.wst", content=wst2005_issue("alice", f"wrong-{i}"), headers=headers)
        assert fault_code(wrong.content) == "wst:FailedAuthentication", wrong.text
        assert wrong.status_code == 500
    for client in clients:  # refused before the cache is asked
        locked = client.post("/pf/sts.wst", content=wst2005_issue("alice", "alice-password-1"), headers=headers)
        assert locked.status_code == 429 and fault_code(locked.content) == "wst:FailedAuthentication"
        assert b"Too many failed attempts" in locked.content and int(locked.headers["retry-after"]) >= 1
    assert metric(server, "tokensmith_throttled_total", "sts") >= 2
    unlock(server, "--sts-user", "alice")
    issued = clients[0].post("/pf/sts.wst", content=wst2005_issue("alice", "alice-password-1"), headers=headers)
    assert issued.status_code == 200, issued.text
    for client in clients:
        client.close()


def test_wrong_passwords_in_the_password_grant_are_throttled(server: Server) -> None:
    with server.admin() as admin:
        body = {**client_body("ropc", "ropc-secret-0123456789"), "grantTypes": ["RESOURCE_OWNER_CREDENTIALS"]}
        assert admin.post("/oauth/clients", json=body).status_code == 201
    clients = list(per_worker(server, "127.0.0.11").values())

    def grant(client: httpx.Client, password: str) -> httpx.Response:
        return client.post("/as/token.oauth2", auth=("ropc", "ropc-secret-0123456789"), data={
            "grant_type": "password", "username": "alice", "password": password})

    answers = [grant(clients[i % 2], f"wrong-{i}") for i in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [400] * LIMIT + [429, 429]
    for client in clients:
        locked = grant(client, "alice-password-1")
        assert locked.status_code == 429 and locked.json()["error"] == "invalid_grant"
        assert int(locked.headers["retry-after"]) >= 1
    assert metric(server, "tokensmith_throttled_total", "password") >= 4
    assert "Unlocked password-grant user 'alice'" in unlock(server, "--password-user", "alice")
    assert grant(clients[0], "alice-password-1").status_code == 200
    for client in clients:
        client.close()


def test_one_address_guessing_many_clients_is_locked(server: Server) -> None:
    clients = list(per_worker(server, "127.0.0.5").values())
    for i in range(100):  # the default --throttle-address-failures: every guess names another client
        answer = clients[i % 2].post("/as/token.oauth2", data={"grant_type": "client_credentials"},
                                     auth=(f"guess-{i}", "secret"))
        assert answer.status_code == 401, (i, answer.text)
    right = clients[1].post("/as/token.oauth2", data={"grant_type": "client_credentials"}, auth=APP)
    assert right.status_code == 429
    with httpx.Client(base_url=server.runtime_url, timeout=10,
                      transport=httpx.HTTPTransport(local_address="127.0.0.6")) as elsewhere:
        answer = elsewhere.post("/as/token.oauth2", data={"grant_type": "client_credentials"}, auth=APP)
        assert answer.status_code == 200  # the client itself is not locked
    unlock(server, "--address", "127.0.0.5")
    assert clients[0].post("/as/token.oauth2", data={"grant_type": "client_credentials"},
                           auth=APP).status_code == 200
    for client in clients:
        client.close()


def test_unlock_names_what_it_cleared(server: Server, tmp_path: Path) -> None:
    assert "Nothing to unlock: administrator 'nobody'" in unlock(server, "nobody")
    missing = cli("admin", "unlock", "--data-dir", str(tmp_path / "none"), "administrator", env=child_env())
    assert missing.returncode == 2 and "holds no token state" in missing.stderr


# --------------------------------------------------------------------------- strict parsing


ISSUER = "https://issuer.example.org"
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "partner"}, private=True)


@pytest.fixture(scope="module")
def parsing(server: Server) -> Server:
    """An ES256 JWT access token manager (64-byte signatures: 86 characters, so ``==`` is valid padding
    for a lenient decoder), a JWT token processor trusting EC_KEY, a SAML processor trusting
    the STS's own signer, and mappings from both to the SAML generator."""
    with server.admin() as admin:
        def ok(method: str, path: str, body: dict[str, Any], status: int = 201) -> None:
            answer = admin.request(method, path, json=body)
            assert answer.status_code == status, (path, answer.text)

        ok("POST", "/keyPairs/signing/generate", {**RSA_SETTINGS, "id": "ecsigner", "keyAlgorithm": "EC",
                                                  "keySize": 256})
        ok("POST", "/oauth/accessTokenManagers", jwtkit.body("jwt", {"JWS Algorithm": "ES256",
                                                                      "Active Signing Certificate Key ID": "ck"},
                                                             certificates=[("ck", "ecsigner")]))
        jwks = json.dumps({"keys": [EC_KEY.as_dict(private=False)]})
        ok("POST", "/idp/tokenProcessors", {
            "id": "jwtp", "name": "JWT in", "pluginDescriptorRef": {"id": JWT_PROC},
            "configuration": {"fields": [{"name": "Issuer", "value": ISSUER}, {"name": "JWKS", "value": jwks}]},
            "attributeContract": {"coreAttributes": [{"name": "sub"}]}})
        certificate = admin.get("/keyPairs/signing/signer/certificate")
        assert certificate.status_code == 200
        ok("POST", "/certificates/ca/import", {"id": "ownca", "fileData": certificate.text})
        generator = admin.get("/sp/tokenGenerators/saml2gen").json()
        generator["configuration"]["fields"] = [
            {**f, "value": "true"} if f["name"] == "Include Certificate in KeyInfo" else f
            for f in generator["configuration"]["fields"]]
        ok("PUT", "/sp/tokenGenerators/saml2gen", generator, 200)
        ok("POST", "/idp/tokenProcessors", {
            "id": "samlp", "name": "SAML in", "pluginDescriptorRef": {"id": SAML20_PROC},
            "configuration": {"fields": [{"name": "Audience", "value": "https://rp.example.com/"}]},
            "attributeContract": {"coreAttributes": [{"name": "SAML_SUBJECT"}]}})
        for source, value in (("jwtp", "sub"), ("samlp", "SAML_SUBJECT")):
            ok("POST", "/tokenProcessorToTokenGeneratorMappings", {
                "sourceId": source, "targetId": "saml2gen",
                "attributeContractFulfillment": {"SAML_SUBJECT": {"source": {"type": "TOKEN"}, "value": value},
                                                 "role": {"source": {"type": "TEXT"}, "value": "x"}}})
    return server


def _sts(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post("/pf/sts.wst", content=body, headers={"content-type": "text/xml"})


def _partner_jwt() -> str:
    now = int(time.time())
    return jwt.encode({"alg": "ES256", "kid": "partner"}, {"iss": ISSUER, "sub": "bob", "exp": now + 300}, EC_KEY)


def _jwt_rst(value: str) -> bytes:
    token = f'<wsse:BinarySecurityToken xmlns:wsse="{WSSE}" ValueType="JWT">{value}</wsse:BinarySecurityToken>'
    return with_token(token.encode())


@pytest.mark.parametrize("tamper", ["==", "=", "%3D%3D"])
def test_a_jws_with_padding_appended_is_refused_by_introspection(parsing: Server, tamper: str) -> None:
    with httpx.Client(base_url=parsing.runtime_url, timeout=10,
                      transport=httpx.HTTPTransport(local_address="127.0.0.7")) as client:
        issued = client.post("/as/token.oauth2", auth=APP, data={"grant_type": "client_credentials",
                                                                 "access_token_manager_id": "jwt"})
        assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
        assert client.post("/as/introspect.oauth2", auth=APP, data={"token": token}).json()["active"] is True
        before = metric(parsing, "tokensmith_malformed_input_total", "jose", "input")
        padded = token + ("==" if tamper == "%3D%3D" else tamper)
        answer = client.post("/as/introspect.oauth2", auth=APP, data={"token": padded})
        assert answer.status_code == 200 and answer.json() == {"active": False}
        assert metric(parsing, "tokensmith_malformed_input_total", "jose", "input") > before
        for foreign in (token.replace("-", "+").replace("_", "/"), token[:-2] + "\n" + token[-2:]):
            if foreign != token:
                assert client.post("/as/introspect.oauth2", auth=APP,
                                   data={"token": foreign}).json() == {"active": False}


def test_a_jws_with_padding_appended_is_refused_by_the_sts_jwt_processor(parsing: Server) -> None:
    with httpx.Client(base_url=parsing.runtime_url, timeout=10,
                      transport=httpx.HTTPTransport(local_address="127.0.0.8")) as client:
        token = _partner_jwt()
        assert _sts(client, _jwt_rst(token)).status_code == 200  # the untouched token is accepted
        for tampered in (token + "==", token + "=", token[:-1] + "+" + token[-1]):
            refused = _sts(client, _jwt_rst(tampered))
            assert refused.status_code == 500 and fault_code(refused.content) == "wst:InvalidSecurityToken", \
                refused.text
            assert b"unpadded base64url" in refused.content


@pytest.mark.parametrize("space", ["\u2003", "\u3000", "\t"])
def test_scopes_split_on_other_spaces_are_invalid_scope(parsing: Server, space: str) -> None:
    with httpx.Client(base_url=parsing.runtime_url, timeout=10,
                      transport=httpx.HTTPTransport(local_address="127.0.0.9")) as client:
        good = client.post("/as/token.oauth2", auth=APP, data={"grant_type": "client_credentials",
                                                               "scope": "read write"})
        assert good.status_code == 200 and good.json()["scope"] == "read write"
        answer = client.post("/as/token.oauth2", auth=APP, data={"grant_type": "client_credentials",
                                                                 "scope": f"read{space}write"})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope", answer.text
    assert metric(parsing, "tokensmith_malformed_input_total", "scope", "input") >= 1


def test_text_after_an_assertion_in_on_behalf_of_or_act_as_is_a_soap_fault(parsing: Server) -> None:
    with httpx.Client(base_url=parsing.runtime_url, timeout=10,
                      transport=httpx.HTTPTransport(local_address="127.0.0.10")) as client:
        issued = _sts(client, wst2005_issue("alice", "alice-password-1"))
        assert issued.status_code == 200, issued.text
        assertion = etree.tostring(requested_token(issued.content))
        control = _sts(client, with_token(assertion, on_behalf_of=True))
        assert control.status_code == 200, control.text  # reaches verification
        for body in (with_token(assertion + b"trailing text", on_behalf_of=True),
                     with_token(assertion + b"trailing text", on_behalf_of=True).replace(b"OnBehalfOf", b"ActAs"),
                     with_token(assertion + b"trailing text", "Validate", token_type=""),
                     with_token(assertion.replace(b"</saml:Assertion>", b"text</saml:Assertion>"), on_behalf_of=True),
                     with_token(assertion.replace(b"</saml:Assertion>", b"<bad:x/></saml:Assertion>"),
                                on_behalf_of=True),
                     with_token(b"<saml:Assertion>&undeclared;</saml:Assertion>", on_behalf_of=True)):
            answer = _sts(client, body)
            code = fault_code(answer.content)
            assert code != "wst:RequestFailed" and b"Fault" in answer.content, answer.text
    assert "Traceback" not in parsing.stderr(), parsing.stderr()
    assert metric(parsing, "tokensmith_malformed_input_total", "xml", "input") >= 4


def test_a_one_character_export_password_is_refused(parsing: Server, tmp_path: Path) -> None:
    with parsing.admin() as admin:
        for path in ("/keyPairs/signing/signer/pkcs12", "/keyPairs/signing/signer/pem"):
            for password in ("x", "eleven-char"):
                answer = admin.post(path, json={"password": password})
                assert answer.status_code == 422, (path, answer.text)
                errors = answer.json()["validationErrors"]
                assert errors[0]["fieldPath"] == "password" and "at least 12 characters" in errors[0]["message"]
            assert admin.post(path, json={"password": "twelve-chars"}).status_code == 200
    env = {**child_env(), "KEYPASS": "short"}
    refused = cli("export", "--data-dir", str(parsing.data_dir), "--key-password-env", "KEYPASS",
                  "-o", str(tmp_path / "out.json"), env=env)
    assert refused.returncode == 2 and "at least 12 characters" in refused.stderr
