"""Several worker processes behind one pair of ports: shared token state, live configuration, crash recovery."""

from __future__ import annotations

import os
import signal

import pytest

from tests.system.server import (
    APP,
    READY_TIMEOUT,
    ServerFactory,
    client_body,
    configure,
    connections_per_worker,
    pid_alive,
    poll,
    reference_atm,
    worker_of,
)

pytestmark = pytest.mark.system
APP2 = ("app2", "app2-secret-0123456789")


def test_tokens_and_admin_changes_are_shared_by_the_workers(start_server: ServerFactory) -> None:
    server = start_server(workers=2)
    with connections_per_worker(server) as conns, server.admin() as admin:
        w0, w1 = conns["0"], conns["1"]
        configure(admin)

        issued = w0.token(scope="read")
        token = issued["access_token"]
        assert len(token) == 40, token
        assert issued["token_type"] == "Bearer"
        info = w1.introspect(token)
        assert info["active"] is True, info
        assert info["scope"] == "read"
        assert info["client_id"] == "app"
        assert info["cid"] == "app"
        assert info["exp"] > info["iat"]

        w1.revoke(token)
        assert w0.introspect(token) == {"active": False}
        assert w1.introspect(token) == {"active": False}

        # An admin write lands on one of the workers; the other sees it on its very next request.
        created = admin.post("/oauth/clients", json=client_body(*APP2))
        assert created.status_code == 201, created.text
        for issuer, validator in ((w1, w0), (w0, w1)):
            second = issuer.token(auth=APP2, scope="write")
            checked = validator.introspect(second["access_token"], auth=APP2)
            assert (checked["active"], checked["client_id"], checked["cid"], checked["scope"]) == (
                True, "app2", "app2", "write"), checked

        changed = admin.put("/oauth/accessTokenManagers/ref", json=reference_atm(60))
        assert changed.status_code == 200, changed.text
        for conn in (w1, w0):
            assert len(conn.token()["access_token"]) == 60, f"worker {conn.worker} still uses the old length"

        deleted = admin.delete("/oauth/clients/app2")
        assert deleted.status_code == 204, deleted.text
        for conn in (w0, w1):
            refused = conn.post("/as/token.oauth2", {"grant_type": "client_credentials"}, auth=APP2)
            assert refused.status_code == 401, f"worker {conn.worker}: {refused.status_code} {refused.text}"

        # Every call above went over the same two connections, one per worker.
        assert (w0.heartbeat_worker(), w1.heartbeat_worker()) == ("0", "1")


def test_supervisor_restarts_a_killed_worker(start_server: ServerFactory) -> None:
    server = start_server(workers=2)
    server.wait_workers()
    with server.admin() as admin:
        configure(admin)
    with connections_per_worker(server) as conns:
        token = conns["0"].token(scope="read")["access_token"]

    def two_workers() -> list[int] | None:
        pids = server.worker_pids()
        return pids if len(pids) == 2 else None

    workers = poll(two_workers, READY_TIMEOUT, lambda: f"two worker processes (found {server.worker_pids()})")
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    poll(lambda: not pid_alive(victim), READY_TIMEOUT, f"worker {victim} to die")

    # With the worker gone (its sockets closed), the remaining worker answers every new connection
    # until the supervisor has started a replacement and the replacement answers too.
    seen: set[str] = set()

    def both_answer() -> bool:
        assert server.process.poll() is None, server.output()
        response = server.heartbeat(timeout=10.0)
        assert response is not None and response.status_code == 200, "the service stopped answering"
        seen.add(worker_of(response))
        return seen == {"0", "1"}

    poll(both_answer, READY_TIMEOUT, lambda: f"both workers to answer again (seen {sorted(seen)})", 0.01)
    replacement = set(server.worker_pids()) - set(workers)
    assert len(replacement) == 1 and len(server.worker_pids()) == 2, (workers, server.worker_pids())

    with connections_per_worker(server) as conns:
        for conn in conns.values():
            info = conn.introspect(token)
            assert (info["active"], info["cid"]) == (True, "app"), f"worker {conn.worker}: {info}"
            assert len(conn.token(APP)["access_token"]) == 40
    assert server.stop() == 0
