"""Run the real gateway under uvicorn on loopback, in front of fake upstreams.

    with run_gateway(config_path, classifier) as gw:
        openai.OpenAI(base_url=gw.url + "/v1", api_key=KEY)
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from gateway.api.app import create_app
from gateway.api.build import build_gateway
from gateway.api.state import Gateway
from gateway.classify.pool import PoolStatus
from gateway.classify.service import ClassifyService
from gateway.config import load_config
from gateway.outbound import Outbound
from gateway.signals import Semantic, Signals

KEY = "gw-test-key-1"
ENV = {"GW_KEY": KEY, "LOCAL_KEY": "test-local-key", "CLOUD_KEY": "test-openai-key",
       "ANTHROPIC_KEY": "test-anthropic-key"}


class SessionClassifier:
    """The real detector, started once per test session and shared by every gateway the tests
    run (each gateway's lifespan would otherwise load the models again)."""

    def __init__(self, service: ClassifyService) -> None:
        self.service = service

    @property
    def ready(self) -> bool:
        return self.service.ready

    async def start(self) -> None:
        return None

    def status(self) -> PoolStatus:
        return self.service.status()

    async def classify(self, outbound: Outbound) -> Signals:
        return await self.service.classify(outbound)

    async def semantic(self, outbound: Outbound) -> Semantic:
        return await self.service.semantic(outbound)

    def semantic_ahead(self, outbound: Outbound) -> asyncio.Task[Semantic] | None:
        return self.service.semantic_ahead(outbound)

    async def aclose(self) -> None:
        return None


@dataclass
class RunningGateway:
    url: str
    gw: Gateway
    audit_path: Path


# The test key has limits and its team a budget, far above what any test sends, so every
# end-to-end test runs through the limiter (tests/e2e/test_limits.py sets tight ones).
AUTH = """\
auth:
  keys:
    - {id: tester, secret_env: GW_KEY, team: qa, limits: {rpm: 100000, tpm: 100000000}}
  teams:
    qa: {budget: {usd: 1000, period: month}}
"""


def write_config(tmp: Path, *, local_url: str, cloud_url: str, policy: str, anthropic_url: str | None = None,
                 extra: str = "", classifier: str = "", auth: str = AUTH) -> Path:
    policy_path = tmp / "policy.yaml"
    policy_path.write_text(policy)
    anthropic = (f'  anthropic: {{type: anthropic, zone: cloud, base_url: "{anthropic_url}", '
                 f"api_key_env: ANTHROPIC_KEY}}\n") if anthropic_url else ""
    anthropic_model = "  claude: {backend: anthropic, model: claude-sonnet-4-5, price: {input: 3, output: 15}}\n" \
        if anthropic_url else ""
    text = f"""\
server: {{max_body_bytes: 65536}}
{auth}backends:
  local: {{type: openai, zone: local, base_url: "{local_url}/v1", api_key_env: LOCAL_KEY,
          timeout: {{connect: 1, first_byte: 2, total: 10, idle: 1}}}}
  cloud: {{type: openai, zone: cloud, base_url: "{cloud_url}/v1", api_key_env: CLOUD_KEY,
          timeout: {{connect: 1, first_byte: 2, total: 10, idle: 1}}}}
{anthropic}models:
  local-llama: {{backend: local, model: llama-3.1-8b}}
  gpt-4o: {{backend: cloud, model: gpt-4o, price: {{input: 2.5, output: 10}}}}
  local-embed: {{backend: local, model: nomic-embed-text, kind: embedding}}
  text-embedding-3-small: {{backend: cloud, model: text-embedding-3-small, kind: embedding, price: {{input: 0.02}}}}
{anthropic_model}cost: {{reference_model: gpt-4o}}
classifier: {{timeout: 10{classifier}}}
policy: policy.yaml
audit: {{path: "{tmp / 'audit.jsonl'}"}}
{extra}"""
    path = tmp / "config.yaml"
    path.write_text(text)
    return path


DEFAULT_POLICY = """\
version: 1
default: local-llama
default_embedding: local-embed
groups:
  personal: [PERSON, EMAIL_ADDRESS, PHONE_NUMBER, STREET_ADDRESS, RU_PASSPORT, RU_SNILS, RU_INN, US_SSN]
  financial: [CREDIT_CARD, IBAN_CODE, RU_BANK_ACCOUNT]
  secrets: [SECRET]
guards:
  - id: regulated-data-stays-local
    when: {entities: {any: [personal, financial, secrets], min_score: 0.5}}
    deny_zones: [cloud]
  - id: restricted-header
    when: {header: {x-data-class: {in: [restricted, confidential]}}}
    deny_zones: [cloud]
  - id: unreadable-content-stays-local
    when: {content: {any: [image, audio, file, token_ids, unreadable]}}
    deny_zones: [cloud]
routes:
  - id: block-secrets-everywhere
    when: {entities: {any: [secrets]}}
    action: block
    message: "Secrets must not be sent to any model."
  - id: client-choice
    when: {model: {in: [gpt-4o, text-embedding-3-small]}}
    to: requested
    fallback: [local-llama, local-embed]
  - id: auto-to-cloud
    when: {model: {eq: auto}}
    to: gpt-4o
    fallback: [local-llama]
"""


@contextmanager
def run_gateway(config_path: Path, classifier: Any, environ: Mapping[str, str] = ENV) -> Iterator[RunningGateway]:
    config = load_config(config_path)
    gw = build_gateway(config, environ, classifier=classifier, config_path=config_path)
    app = create_app(gw)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=1, ws="none", loop="asyncio"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("gateway did not start")
        time.sleep(0.01)
    try:
        yield RunningGateway(f"http://127.0.0.1:{port}", gw, Path(config.audit.path))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        gw.audit.close()


def start_session_classifier() -> SessionClassifier:
    from gateway.config import ClassifierConfig

    service = ClassifyService(ClassifierConfig(workers=0, timeout=10))
    asyncio.run(service.start())
    return SessionClassifier(service)
