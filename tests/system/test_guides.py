"""Every guide under docs/guides, run as written: its shell blocks in one bash session, with the
servers (and Redis and PostgreSQL) its ``no-run`` blocks start started by the test in their place."""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from joserfc import jwk as joserfc_jwk
from joserfc import jwt as joserfc_jwt

from tests.docblocks import POSTGRES, REDIS, ROOT, Block, Session, Substitutions, blocks, walk
from tests.services import PostgresServer, RedisServer
from tests.stskit import assert_schema_valid
from tests.system.server import Server, ServerFactory

pytestmark = pytest.mark.system

GUIDES = ROOT / "docs" / "guides"


def _password(block: Block) -> str:
    match = re.search(r"export TOKENSMITH_ADMIN_PASSWORD='([^']+)'", block.body)
    assert match, block.body
    return match.group(1)


def _pinned(package: str) -> str:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    found = [spec for spec in extra if spec.startswith(f"{package}==")]
    assert found, f"{package} is not pinned in the test extra"
    return str(found[0])


def _run(document: Path, session: Session, starters: dict[str, Callable[[Block], None]],
         timeout: float = 60.0) -> str:
    try:
        return "\n".join(out for _, out in walk(document, session, starters, timeout))
    finally:
        session.close()


def test_jwt_access_tokens_guide(start_server: ServerFactory, tmp_path: Path) -> None:
    guide = GUIDES / "jwt-access-tokens.md"
    subs = Substitutions()
    session = Session(tmp_path, subs)

    servers: list[Server] = []

    def serve(block: Block) -> None:
        servers.append(start_server(tmp_path / "tokensmith-data", env_password=_password(block)))
        subs.server(servers[0])

    def pip(block: Block) -> None:
        assert _pinned("jwcrypto") in block.body.split(), "the guide names the version the tests pin"

    out = _run(guide, session, {"./scripts/serve": serve, "pip install": pip})
    assert "JWKS Endpoint Path: /orders-api/jwks | JWS Algorithm: RS256" in out, out
    assert re.search(r"^access token: eyJ\S+\.\S+\.\S+$", out, re.MULTILINE), out
    assert "'alg': 'RS256', 'kid': 'jwt-signer-1', 'typ': 'at+jwt'" in out, out
    assert "verified: sub = orders-client | scope = ['orders.read'] | expires at" in out, out
    assert "tampered token refused: the signature does not match" in out, out
    assert "refused: JWTInvalidClaimValue" in out, out
    assert "accepted" not in out, out
    # a second JOSE implementation agrees with the guide's jwcrypto check
    token = re.search(r"^access token: (\S+)$", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
    with servers[0].client() as http:
        keys = joserfc_jwk.KeySet.import_key_set(http.get("/ext/orders-api/jwks").json())
    claims = joserfc_jwt.decode(token, keys, algorithms=["RS256"]).claims
    joserfc_jwt.JWTClaimsRegistry(iss={"essential": True, "value": "https://sts.example.com"},
                                  aud={"essential": True, "value": "https://orders.example.com"},
                                  exp={"essential": True}).validate(claims)
    assert claims["client_id"] == "orders-client"


def test_wstrust_sts_guide(start_server: ServerFactory, tmp_path: Path) -> None:
    guide = GUIDES / "wstrust-sts.md"
    subs = Substitutions()
    session = Session(tmp_path, subs)

    def serve(block: Block) -> None:
        subs.server(start_server(tmp_path / "tokensmith-data", env_password=_password(block)))

    out = _run(guide, session, {"./scripts/serve": serve})
    assert "sts-signer | CN=Tokensmith STS signing, O=Example, C=US | expires" in out, out
    assert "  Include Certificate in KeyInfo: false" in out, out
    assert "mapping usernameTokens|portalSaml2" in out, out
    # xmlsec1, an XML-DSig implementation independent of the server's, accepts the cut-out assertion
    assert re.search(r"^OK\nSignedInfo References \(ok/all\): 1/1$", out, re.MULTILINE), out
    assert "subject:  alice" in out and "audience: https://portal.example.com/" in out, out
    assert "attribute role = ['employee']" in out, out
    assert "data and digest do not match" in out and "tampered assertion accepted" not in out, out
    assert "HTTP 500: wst:FailedAuthentication - " in out, out
    assertion = (tmp_path / "assertion.xml").read_bytes()
    assert assertion.startswith(b"<saml:Assertion ") and b"ds:Signature" in assertion
    assert_schema_valid(assertion, "2.0")  # the OASIS SAML 2.0 assertion schema


def test_sts_reference_sample_request_is_the_guides() -> None:
    """docs/sts.md shows the request the STS guide sends (and the test above verified)."""
    sample = re.search(r"^```xml\n(.*?)^```", (ROOT / "docs" / "sts.md").read_text(), re.MULTILINE | re.DOTALL)
    sent = re.search(r"^cat > rst.xml <<'EOF'\n(.*?)^EOF$", (GUIDES / "wstrust-sts.md").read_text(),
                     re.MULTILINE | re.DOTALL)
    assert sample and sent
    assert sample.group(1) == sent.group(1)
    assert "(guides/wstrust-sts.md)" in (ROOT / "docs" / "sts.md").read_text()


def test_moving_a_configuration_guide(start_server: ServerFactory, tmp_path: Path) -> None:
    guide = GUIDES / "moving-a-configuration.md"
    subs = Substitutions()
    session = Session(tmp_path, subs)
    password: list[str] = []

    def serve_old(block: Block) -> None:
        password.append(_password(block))
        subs.server(start_server(tmp_path / "tokensmith-data", env_password=password[0]))

    def serve(name: str, runtime: str, admin: str) -> Callable[[Block], None]:
        ports = subs.plan(runtime=f"127.0.0.1:{runtime}", admin=f"127.0.0.1:{admin}")

        def start(block: Block) -> None:
            assert f"--port {runtime} --admin-port {admin}" in block.body, block.body
            # initialised by the guide's own `tokensmith init`, with the guide's password
            assert (tmp_path / name / "config.db").exists(), "the guide initialises the data directory first"
            start_server(tmp_path / name, password=password[0], **ports)
        return start

    out = _run(guide, session, {"./scripts/serve": serve_old,
                                "./new-server --port": serve("new-server", "9131", "9199"),
                                "./other-server --port": serve("other-server", "9231", "9299")})
    assert "old server issues tokens: Bearer" in out, out
    assert re.search(r"^\s+1  /oauth/clients$", out, re.MULTILINE), out
    # path A: master.key moved, the old secret works, the key pair is the same key
    assert "new server, old secret: Bearer" in out, out
    assert out.count("key pair signer: same fingerprint on both") == 2, out
    # path B: a plain import is refused and names the way out; --new-client-secrets prints one
    assert "clientAuth.encryptedSecret" in out and "--new-client-secrets" in out, out
    secret = re.search(r"^new secret for client 'orders-app': (\S{20,})$", out, re.MULTILINE)
    assert secret, out
    assert "other server, new secret: Bearer" in out, out
    assert '{"error":"invalid_client"' in out, out
    assert (tmp_path / "config.json").stat().st_mode & 0o077 == 0, "the export is readable by its owner only"


def _serve_options(block: Block, subs: Substitutions) -> dict[str, str]:
    """The options of the ``tokensmith serve`` command in ``block``, as the reader's shell would pass them."""
    words = shlex.split(subs.apply(block.body).replace("\\\n", " "))
    assert words[:2] == ["tokensmith", "serve"], block.body
    pairs = words[2:]
    assert len(pairs) % 2 == 0 and all(p.startswith("--") for p in pairs[::2]), block.body
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


def test_cluster_guide(start_server: ServerFactory, tmp_path: Path, redis_server: RedisServer,
                       redis_url: str, postgres_server: PostgresServer, postgres_url: str) -> None:
    guide = GUIDES / "cluster.md"
    subs = Substitutions().address(REDIS, redis_server.port).address(POSTGRES, postgres_server.port)
    session = Session(tmp_path, subs)
    password = _password(next(b for b in blocks(guide) if b.runs))
    documented = {"node1": ("9031", "9999"), "node2": ("9131", "9199")}
    planned = {name: subs.plan(f"127.0.0.1:{runtime}", f"127.0.0.1:{admin}")
               for name, (runtime, admin) in documented.items()}

    def services(block: Block) -> None:
        assert "createdb --owner tokensmith tokensmith" in block.body  # the fixtures' database and owner

    def node(block: Block) -> None:
        options = _serve_options(block, subs)
        name = options.pop("--node-id")
        assert set(options) == {"--data-dir", "--port", "--admin-port", "--database-url", "--redis-url"}, options
        assert (options["--port"], options["--admin-port"]) == documented[name], options
        assert options["--redis-url"] == redis_url
        assert options["--database-url"].endswith(postgres_url.rsplit("@", 1)[1])
        assert (tmp_path / options["--data-dir"] / "master.key").exists(), "the guide put the master key there"
        shared = ("--database-url", options["--database-url"], "--redis-url", options["--redis-url"])
        server = start_server(tmp_path / options["--data-dir"], password=password, node_id=name, extra=shared,
                              **planned[name])
        assert f"Tokensmith {name} in region default: token state redis://127.0.0.1:{redis_server.port}/0" in \
            server.stdout(), server.stdout()

    out = _run(guide, session, {"createdb": services, "--node-id node1": node, "--node-id node2": node})
    assert re.search(r"^x-tokensmith-worker: node1/0\s*$", out, re.MULTILINE | re.IGNORECASE), out
    assert re.search(r"^x-tokensmith-worker: node2/0\s*$", out, re.MULTILINE | re.IGNORECASE), out
    assert re.search(r"^node 2 has client app \[.*'CLIENT_CREDENTIALS'", out, re.MULTILINE), out
    assert re.search(r"^issued by node 1: \S{20,}$", out, re.MULTILINE), out
    assert "node 2 introspects: active = True | cid = app" in out, out
    assert "after revocation on node 2, node 1 says: {'active': False}" in out, out
    # one master key: node 2's is node 1's copy, and neither node made up its own
    assert (tmp_path / "node1" / "master.key").read_bytes() == (tmp_path / "node2" / "master.key").read_bytes()


def test_every_guide_is_in_the_index_and_has_a_test() -> None:
    index = (GUIDES / "README.md").read_text()
    tests = Path(__file__).read_text()
    for guide in sorted(GUIDES.glob("*.md")):
        if guide.name == "README.md":
            continue
        assert f"]({guide.name})" in index, f"{guide.name} is not in docs/guides/README.md"
        assert f'GUIDES / "{guide.name}"' in tests, f"{guide.name} has no test here"
        assert any(b.runs for b in blocks(guide)), f"{guide.name} has no runnable block"
    assert "(guides/README.md)" in (ROOT / "docs" / "index.md").read_text()


def test_substitutions_replace_each_documented_address_once_and_whole() -> None:
    subs = Substitutions({"127.0.0.1:9031": "127.0.0.1:9999", "127.0.0.1:9999": "127.0.0.1:40001"})
    assert subs.apply("a 127.0.0.1:9031 b 127.0.0.1:9999/x c 127.0.0.1:90310") == \
        "a 127.0.0.1:9999 b 127.0.0.1:40001/x c 127.0.0.1:90310"
    assert Substitutions().apply("127.0.0.1:9031") == "127.0.0.1:9031"
