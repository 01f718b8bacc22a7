"""The machine's RSA-2048 signing limit, measured in the same run as the scenarios it bounds.

Every RS256 JWT and every signed SAML assertion costs one RSA-2048 private-key operation, so no
server on this machine can answer more of them per second than the machine can sign. That limit
differs between machines of the same kind (1,500-4,400 signatures/s per core have been seen) and
moves with whatever else runs, so a bare req/s figure says little; its share of the limit measured
a moment before says how much of the CPU goes to anything but the signature.

The limit is ``openssl speed -seconds S -multi N rsa2048`` (N = usable cores; with ``-multi`` the
sign/s column is the sum over the N processes). Without the ``openssl`` command the same is
measured with ``cryptography`` (PKCS#1 v1.5 SHA-256 signatures in N processes for S seconds).

On a machine shared with other work both the limit and the server's rate fall with the CPU they
get, by different amounts. So the CPU time one signature costs (``cryptography``, the library the
server signs with, timed by process CPU time, which other processes do not inflate) is measured
too: divided by the server's CPU time per response it gives the share of the server's CPU that
went into signatures, a figure that does not depend on how busy the machine was.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SIGN_LINE = re.compile(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+)", re.MULTILINE)


@dataclass(frozen=True)
class RsaLimit:
    signatures_per_s: float  # all usable cores together
    cores: int
    seconds: float
    method: str  # the command line, or "cryptography"
    load_average: tuple[float, float, float]  # when the measurement started
    cpu_per_signature: float  # seconds of CPU time one signature costs (cryptography, this process)

    def share(self, rate: float) -> float:
        """``rate`` (responses/s, one signature each) as a percentage of the limit."""
        return 100.0 * rate / self.signatures_per_s if self.signatures_per_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"signatures_per_s": round(self.signatures_per_s, 1), "cores": self.cores,
                "per_core": round(self.signatures_per_s / max(1, self.cores), 1), "seconds": self.seconds,
                "method": self.method, "load_average_at_start": [round(x, 2) for x in self.load_average],
                "cpu_us_per_signature": round(self.cpu_per_signature * 1e6, 1)}


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def _openssl(openssl: str, cores: int, seconds: int) -> float | None:
    command = [openssl, "speed", "-seconds", str(seconds), "-multi", str(cores), "rsa2048"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds * 4 + 60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _SIGN_LINE.search(done.stdout)
    return float(found.group(1)) if done.returncode == 0 and found else None


def _sign_for(seconds: float, clock: Callable[[], float] = time.perf_counter) -> int:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message, count = b"x" * 64, 0
    deadline = clock() + seconds
    while clock() < deadline:
        key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    return count


def cpu_per_signature(cpu_seconds: float = 1.0) -> float:
    """CPU seconds one RSA-2048 PKCS#1 v1.5 SHA-256 signature costs in this process."""
    started = time.process_time()
    count = _sign_for(cpu_seconds, time.process_time)
    return (time.process_time() - started) / max(1, count)


def _cryptography(cores: int, seconds: int) -> float:
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        started = time.perf_counter()
        counts = pool.map(_sign_for, [float(seconds)] * cores)
        elapsed = time.perf_counter() - started
    # each process signed for `seconds` once its key was made; divide by the signing time, not set-up
    return sum(counts) / max(float(seconds), min(elapsed, float(seconds)))


def measure(seconds: int = 3, cores: int | None = None) -> RsaLimit:
    """The RSA-2048 signatures per second all usable cores manage together, right now."""
    n = cores or usable_cores()
    load = os.getloadavg()
    cpu = cpu_per_signature()
    openssl = shutil.which("openssl")
    if openssl is not None:
        rate = _openssl(openssl, n, seconds)
        if rate is not None:
            return RsaLimit(rate, n, seconds, f"openssl speed -seconds {seconds} -multi {n} rsa2048", load, cpu)
    return RsaLimit(_cryptography(n, seconds), n, seconds, "cryptography", load, cpu)


if __name__ == "__main__":
    print(measure().as_dict())
