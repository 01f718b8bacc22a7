"""``tokensmith serve``: start N worker processes and keep them running.

The supervisor checks the ports are free, starts the workers (each binds its own SO_REUSEPORT
sockets), restarts a worker that dies, and on SIGINT/SIGTERM stops them all and waits.
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from tokensmith.errors import ConfigurationError
from tokensmith.server import run_worker
from tokensmith.settings import Settings

log = logging.getLogger("tokensmith.supervisor")
RESTART_DELAY = 1.0


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: sockets left in TIME_WAIT by our own previous run do not count as "in use";
        # a live listener still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(f"{host}:{port} is already in use") from exc
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def check_ports(settings: Settings) -> None:
    if settings.port == 0 or settings.admin_port == 0:
        raise ConfigurationError("--port and --admin-port must be fixed port numbers")
    check_port_free(settings.host, settings.port)
    check_port_free(settings.host, settings.admin_port)


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.context = multiprocessing.get_context("spawn")
        self.workers: dict[int, BaseProcess] = {}
        self.stopping = False

    def _start(self, index: int) -> None:
        process = self.context.Process(target=run_worker, args=(self.settings, index),
                                       name=f"tokensmith-worker-{index}", daemon=False)
        process.start()
        self.workers[index] = process

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        s = self.settings
        check_ports(s)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for index in range(s.workers):
            self._start(index)
        scheme = "https" if s.tls else "http"
        print(f"Tokensmith {s.node_id}: {s.workers} worker(s); runtime {scheme}://{s.host}:{s.port}, "
              f"admin API {scheme}://{s.host}:{s.admin_port}/pf-admin-api/v1", flush=True)
        while not self.stopping:
            time.sleep(0.2)
            for index, process in list(self.workers.items()):
                if not process.is_alive() and not self.stopping:
                    log.warning("worker %d exited with %s; restarting", index, process.exitcode)
                    time.sleep(RESTART_DELAY)
                    if not self.stopping:
                        self._start(index)
        for process in self.workers.values():
            if process.is_alive() and process.pid is not None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in self.workers.values():
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        return 0
