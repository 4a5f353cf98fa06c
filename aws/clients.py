"""boto3 clients built once per app from config: the standard credential chain, `AWS_ENDPOINT_URL`,
explicit timeouts and retries."""
import threading

import boto3
from botocore.config import Config as BotoConfig
from flask import Flask, current_app

#: Fail fast on a dead endpoint, retry throttling and transient errors a few times (botocore's
#: "standard" mode: exponential backoff with jitter), and never hang a request or a dispatcher.
BOTO_CONFIG = BotoConfig(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 3, "mode": "standard"},
)


class Clients:
    """One client per service for one app; boto3 clients are thread-safe, their creation is not."""

    def __init__(self, region: str, endpoint_url: str | None):
        self.region = region
        self.endpoint_url = endpoint_url
        self._made: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self._session = boto3.session.Session(region_name=region)

    def get(self, service: str, config: BotoConfig | None = None, purpose: str = ""):
        """The client for `service`, made once per `purpose` (each purpose has its own `config`)."""
        with self._lock:
            if (service, purpose) not in self._made:
                self._made[service, purpose] = self._session.client(
                    service, endpoint_url=self.endpoint_url or None, config=config or BOTO_CONFIG
                )
            return self._made[service, purpose]


def init_app(app: Flask) -> None:
    """Attach the app's client factory (nothing connects until a client is used)."""
    app.extensions["aws"] = Clients(app.config["AWS_REGION"], app.config.get("AWS_ENDPOINT_URL"))


def client(service: str):
    """The current app's boto3 client for `service` (`s3`, `sns`, `ses`, `cloudwatch`, `logs`)."""
    return current_app.extensions["aws"].get(service)


def delivery_client(service: str):
    """The current app's client for delivering one outbox message: one try within OUTBOX_SEND_TIMEOUT_SECONDS.

    botocore retries a read timeout on its own, which could send an SMS twice; the outbox decides instead.
    """
    half = current_app.config["OUTBOX_SEND_TIMEOUT_SECONDS"] / 2  # connecting, then waiting for the answer
    config = BOTO_CONFIG.merge(BotoConfig(connect_timeout=half, read_timeout=half,
                                          retries={"total_max_attempts": 1, "mode": "standard"}))
    return current_app.extensions["aws"].get(service, config, purpose="delivery")
