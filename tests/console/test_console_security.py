"""Sign-in, sessions, CSRF and the protections around them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import ADMIN_PASSWORD, REFERENCE
from tests.console.conftest import CSRF, LOGIN_TOKEN, ConsoleClient, app_client
from tokensmith.clock import FakeClock
from tokensmith.config.model import ATM
from tokensmith.datadir import initialise
from tokensmith.node import Node
from tokensmith.settings import Settings
from tokensmith.web.console.sessions import IDLE_TIMEOUT, sessions

MAX_FAILURES = Settings(Path()).throttle_failures  # failed sign-ins of one user at one address before a lock

ATM_FORM = {"pluginDescriptorRef.id": REFERENCE, "id": "ref", "name": "Reference", "_action": "save"}


async def test_pages_need_a_session(anonymous: ConsoleClient) -> None:
    response = await anonymous.get("/oauth/clients?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Foauth%2Fclients%3Fx%3D1"
    refused = await anonymous.post("/oauth/access-token-managers/new", ATM_FORM)
    assert refused.status_code == 401
    assert "Sign in again" in refused.text


async def test_sign_in_sets_a_locked_down_cookie_and_returns_to_the_page(anonymous: ConsoleClient) -> None:
    page = await anonymous.http.get("/console/login", params={"next": "/console/oauth/clients"})
    token = LOGIN_TOKEN.search(page.text)
    assert token is not None
    response = await anonymous.http.post("/console/login", data={
        "username": "administrator", "password": ADMIN_PASSWORD, "login_token": token.group(1),
        "next": "/console/oauth/clients"})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/oauth/clients"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("tokensmith_console="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= attributes
    assert "secure" not in attributes  # plain HTTP here; see the HTTPS test
    assert (await anonymous.get("/oauth/clients")).status_code == 200


async def test_cookie_is_secure_over_https(node: Node, settings: Settings) -> None:
    async with app_client(node, settings, "https://127.0.0.1:9999") as http:
        response = await ConsoleClient(http).login()
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("tokensmith_console="))
        assert "secure" in cookie.lower()


async def test_wrong_password_and_unknown_user_are_refused_alike(anonymous: ConsoleClient) -> None:
    wrong = await anonymous.login("not-it")
    unknown = await anonymous.login(username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert "The username or password is wrong." in wrong.text and "The username or password is wrong." in unknown.text
    assert "tokensmith_console=" not in (wrong.headers.get("set-cookie") or "")


async def test_sign_in_form_needs_its_own_token(anonymous: ConsoleClient) -> None:
    await anonymous.http.get("/console/login")
    forged = await anonymous.http.post("/console/login", data={
        "username": "administrator", "password": ADMIN_PASSWORD, "login_token": "guess", "next": "/console/"})
    assert forged.status_code == 403
    anonymous.http.cookies.clear()
    no_cookie = await anonymous.http.post("/console/login", data={
        "username": "administrator", "password": ADMIN_PASSWORD, "login_token": "", "next": "/console/"})
    assert no_cookie.status_code == 403


async def test_next_never_leaves_the_console(anonymous: ConsoleClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/pf-admin-api/v1/oauth/clients", "/console/\\evil"):
        anonymous.http.cookies.clear()
        response = await anonymous.login(next=target)
        assert response.headers["location"] == "/console/", target


async def test_throttling_locks_out_after_repeated_failures(anonymous: ConsoleClient, clock: FakeClock) -> None:
    for _ in range(MAX_FAILURES):
        assert (await anonymous.login("wrong-password")).status_code == 401
    locked = await anonymous.login()  # even the right password waits out the lock
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert int(locked.headers["retry-after"]) >= 1
    clock.advance(int(locked.headers["retry-after"]) + 1)
    assert (await anonymous.login()).status_code == 303


async def test_posts_without_the_session_csrf_token_are_refused(console: ConsoleClient, node: Node,
                                                                settings: Settings) -> None:
    for token in ("", "wrong", console.csrf[:-1]):
        response = await console.post("/oauth/access-token-managers/new", ATM_FORM, csrf=token)
        assert response.status_code == 403, token
        assert "did not come from this console" in response.text
    async with app_client(node, settings) as other_http:  # another administrator session's token
        other = ConsoleClient(other_http)
        await other.login()
        assert other.csrf != console.csrf
        response = await console.post("/oauth/access-token-managers/new", ATM_FORM, csrf=other.csrf)
        assert response.status_code == 403
    assert node.model().get(ATM, "ref") is None
    assert (await console.post("/oauth/access-token-managers/new",
                               {**ATM_FORM, "configuration.fields[Token Length]": "30"})).status_code == 303


async def test_cross_site_origin_is_refused(console: ConsoleClient) -> None:
    response = await console.post("/oauth/access-token-managers/new", ATM_FORM,
                                  headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    same = await console.post("/oauth/access-token-managers/new", {**ATM_FORM, "id": "x", "name": ""},
                              headers={"origin": "http://127.0.0.1:9999"})
    assert same.status_code == 422


async def test_sign_out_ends_the_session_on_the_server(console: ConsoleClient) -> None:
    cookie = console.http.cookies["tokensmith_console"]
    response = await console.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?bye=1"
    console.http.cookies.set("tokensmith_console", cookie, path="/console")  # replay the old cookie
    assert (await console.get("/")).status_code == 303


async def test_idle_and_absolute_timeouts(console: ConsoleClient, clock: FakeClock) -> None:
    clock.advance(IDLE_TIMEOUT - 60)
    assert (await console.get("/")).status_code == 200  # activity keeps it alive
    for _ in range(20):
        clock.advance(IDLE_TIMEOUT - 60)
        response = await console.get("/")
        if response.status_code != 200:
            break
    assert response.status_code == 303  # ended by the 8-hour limit despite the activity
    clock.advance(0)
    await console.login()
    clock.advance(IDLE_TIMEOUT + 1)
    assert (await console.get("/")).status_code == 303


async def test_sessions_are_shared_by_every_worker(console: ConsoleClient, settings: Settings,
                                                   clock: FakeClock) -> None:
    second = Node(settings, clock=clock)  # another worker process of the same node
    try:
        async with app_client(second, settings) as http:
            http.cookies.set("tokensmith_console", console.http.cookies["tokensmith_console"], path="/console")
            other = ConsoleClient(http)
            page = await other.get("/oauth/access-token-managers/new", params={"type": REFERENCE})
            assert page.status_code == 200
            found = CSRF.search(page.text)
            assert found is not None and found.group(1) == console.csrf
            other.csrf = console.csrf
            assert (await other.post("/logout")).status_code == 303
        assert (await console.get("/")).status_code == 303  # signed out everywhere
    finally:
        await second.stop()


async def test_only_a_digest_of_the_session_id_is_stored(console: ConsoleClient, node: Node) -> None:
    cookie = console.http.cookies["tokensmith_console"]
    with node.store.reading() as conn:
        stored = [row[0] for row in conn.execute(select(sessions.c.id_digest))]
    assert stored and cookie not in stored


async def test_security_headers_and_no_caching(console: ConsoleClient) -> None:
    response = await console.get("/oauth/clients")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    css = await console.get("/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await console.get("/static/nothing.css")).status_code == 404
    assert (await console.get("/static/..%2F..%2Fconfig.db")).status_code == 404


async def test_oversized_bodies_are_refused(console: ConsoleClient) -> None:
    response = await console.post("/oauth/access-token-managers/new", {"name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


async def test_console_sign_in_does_not_open_the_admin_api(console: ConsoleClient) -> None:
    response = await console.http.get("/pf-admin-api/v1/oauth/clients", headers={"X-XSRF-Header": "x"})
    assert response.status_code == 401


def test_templates_and_css_ship_with_the_package() -> None:
    import tokensmith.web.console as package

    root = Path(package.__file__).parent
    assert (root / "templates" / "base.html").is_file() and (root / "static" / "console.css").is_file()


async def test_malformed_multipart_is_a_clean_400(console: ConsoleClient) -> None:
    response = await console.http.post("/console/security/signing-key-pairs/import",
                                       content=b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken",
                                       headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code in (400, 403)




async def test_sessions_and_throttling_are_shared_by_the_nodes_of_a_cluster(postgres_url: str, redis_url: str,
                                                                            tmp_path: Path, clock: FakeClock) -> None:
    """Two nodes on one PostgreSQL configuration database and one Redis token state: a session and a
    lock-out made on one hold on the other, and signing out on one ends the session on both."""
    nodes: list[Node] = []
    try:
        for name in ("a", "b"):
            node_settings = Settings(data_dir=tmp_path / name, port=9031, admin_port=9999,
                                     database_url=postgres_url, redis_url=redis_url)
            if nodes:  # the nodes of a cluster share the master key
                node_settings.data_dir.mkdir(mode=0o700)
                (node_settings.data_dir / "master.key").write_bytes(nodes[0].settings.master_key_file.read_bytes())
            initialise(node_settings, admin_password=ADMIN_PASSWORD)
            nodes.append(Node(node_settings, clock=clock))
        async with app_client(nodes[0], nodes[0].settings) as http_a, \
                app_client(nodes[1], nodes[1].settings) as http_b:
            a, b = ConsoleClient(http_a), ConsoleClient(http_b)
            assert (await a.login()).status_code == 303
            http_b.cookies.set("tokensmith_console", http_a.cookies["tokensmith_console"], path="/console")
            b.csrf = a.csrf
            assert (await b.get("/oauth/clients")).status_code == 200
            assert (await b.post("/logout")).status_code == 303
            assert (await a.get("/")).status_code == 303

            for _ in range(MAX_FAILURES):
                assert (await a.login("wrong-password")).status_code == 401
            assert (await b.login()).status_code == 429  # the same address is locked out on the other node
    finally:
        for node in nodes:
            await node.stop()


async def test_a_stale_sign_in_form_still_works_while_signed_in(console: ConsoleClient) -> None:
    page = await console.http.get("/console/login", params={"next": "/console/oauth/clients"})
    assert page.status_code == 303  # already signed in: straight on
    console.http.cookies.set("tokensmith_console_login", "t" * 43, path="/console")
    response = await console.http.post("/console/login", data={
        "username": "administrator", "password": ADMIN_PASSWORD, "login_token": "t" * 43, "next": "/console/"})
    assert response.status_code == 303  # e.g. a second tab: signs in afresh, no CSRF error
