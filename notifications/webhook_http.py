"""Webhook HTTP: which receiver addresses are allowed (SSRF), and one signed POST to an allowed address.

A receiver's host name is resolved once per send and every address it gives is checked; the connection
then goes to that checked address (the Host header and TLS name stay the host's), so a DNS answer that
changes between the check and the connection cannot point a send at an internal service. Redirects are
never followed. The whole send, name resolution included, ends within the timeout.
"""
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Bytes of a refusing receiver's answer kept with the message (`last_error`).
BODY_HEAD = 500
USER_AGENT = "WorkflowManager-Webhooks/1"


class AddressRefused(ValueError):
    """The URL is not http(s), or its host is (or resolves to) an address webhooks may not reach."""


class ReceiverRefused(Exception):
    """The receiver answered with a status that says the same request will never succeed (4xx, 3xx)."""

    def __init__(self, status: int, head: str):
        super().__init__(f"HTTP {status} from the receiver: {head}" if head else f"HTTP {status} from the receiver")
        self.status, self.head = status, head


class ReceiverFailed(Exception):
    """The receiver answered with a status worth trying again later (5xx, 408, 429)."""

    def __init__(self, status: int, head: str):
        super().__init__(f"HTTP {status} from the receiver: {head}" if head else f"HTTP {status} from the receiver")
        self.status, self.head = status, head


def _refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why webhooks may not reach this address (None: a public address)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d reaches a.b.c.d
            reason = _refusal(address.ipv4_mapped)
            return f"{reason} (inside the IPv6 address {address})" if reason else None
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        reason = _refusal(embedded) if embedded is not None else None
        if reason:
            return f"{reason} (inside the IPv6 address {address})"
    for flag, reason in (
        ("is_unspecified", "an unspecified address"), ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"), ("is_multicast", "a multicast address"),
        ("is_private", "a private address"), ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
            return f"{address} is {reason}"
    if not address.is_global:  # shared address space (100.64/10) and other non-public blocks
        return f"{address} is not a public address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked receiver: the URL's parts and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; AddressRefused for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("the URL must not carry credentials: receivers check the signature instead")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """Every address the host name resolves to, within `timeout` (getaddrinfo has no timeout of its own)."""
    try:
        return [str(ipaddress.ip_address(host))]  # an address already: nothing to look up
    except ValueError:
        pass
    found: dict = {}

    def lookup():
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            found["error"] = error

    worker = threading.Thread(target=lookup, name="webhook-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"resolving {host} took longer than {timeout} s")
    if "error" in found:
        raise found["error"]
    return list(dict.fromkeys(info[4][0] for info in found["infos"]))


def check(url: str, *, allow_private: bool, timeout: float) -> Target:
    """Resolve the URL's host and check every address; the Target to connect to, or AddressRefused."""
    scheme, host, port, path = split(url)
    try:
        addresses = _resolve(host, port, timeout)
    except socket.gaierror:
        raise AddressRefused(f"the host {host} does not resolve") from None
    if not addresses:
        raise AddressRefused(f"the host {host} does not resolve")
    if not allow_private:
        for text in addresses:
            reason = _refusal(ipaddress.ip_address(text.split("%")[0]))
            if reason:
                raise AddressRefused(
                    f"webhooks may not reach {host}: {reason} (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow "
                    "receivers on private networks)")
    return Target(scheme, host, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(_PinnedHTTP):
    """The same over TLS, the certificate checked against the host name."""

    _context = ssl.create_default_context()

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def post(target: Target, raw: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST `raw` to the checked target and return the status of a 2xx answer; ReceiverRefused or
    ReceiverFailed for any other, OSError when no answer came within `timeout` (the whole exchange)."""
    connection = (_PinnedHTTPS if target.scheme == "https" else _PinnedHTTP)(target, timeout)

    expired = threading.Event()

    def cut():
        # A receiver that trickles its answer would keep each read under the timeout: end the exchange.
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    deadline = threading.Timer(timeout, cut)
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", target.path, body=raw, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        status = response.status
        head = "" if 200 <= status < 300 else response.read(BODY_HEAD).decode("utf-8", "replace")
    except (http.client.HTTPException, ValueError, OSError) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            raise TimeoutError(f"no answer from the receiver within {round(timeout, 1):g} s") from None
        if isinstance(error, OSError):
            raise
        # A malformed answer: the receiver is at fault, perhaps for now.
        raise ConnectionError(f"no valid answer from the receiver: {type(error).__name__}: {error}") from None
    finally:
        deadline.cancel()
        connection.close()
    if 200 <= status < 300:
        return status
    if status >= 500 or status in (408, 429):
        raise ReceiverFailed(status, head)
    # 3xx included: redirects are not followed, so the same URL will answer the same; register the final URL.
    raise ReceiverRefused(status, head)
