"""A self-signed certificate for trying storepick on real phones in a store's network.

Browsers allow the camera and service workers only on HTTPS (or localhost), so a
phone opening http://192.168.x.y:8000 could not scan with its camera. This makes
a certificate for localhost and this machine's addresses with the system's
``openssl``; the phone shows a warning once, which the tester accepts.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
from pathlib import Path


class TlsUnavailable(RuntimeError):
    """No openssl on this machine: install it (apt-get install openssl)."""


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses that a phone on the same network can reach."""
    found = {"127.0.0.1"}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    return sorted(found, key=lambda a: ipaddress.ip_address(a))


def self_signed(directory: Path, addresses: list[str] | None = None) -> tuple[Path, Path]:
    """The (certificate, key) pair in ``directory``, made once and reused.

    Raises TlsUnavailable when openssl is missing.
    """
    cert, key = directory / "storepick-cert.pem", directory / "storepick-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    if shutil.which("openssl") is None:
        raise TlsUnavailable("openssl is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    names = ["DNS:localhost"] + [f"IP:{a}" for a in (addresses or local_addresses())]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=storepick",
         "-addext", "subjectAltName=" + ",".join(names)],
        check=True, capture_output=True)
    key.chmod(0o600)
    return cert, key
