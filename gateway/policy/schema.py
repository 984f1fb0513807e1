"""The policy file as pydantic models: the YAML shape, and nothing else.

Every model forbids unknown keys, so a typo such as ``deny_zone`` is an error with file and line
rather than a guard that silently does nothing. References (models, groups, entity types) are
resolved and linted in :mod:`gateway.policy.load`; compilation is in :mod:`gateway.policy.conditions`.

Shorthand, documented for operators:

* Where an operator map is expected, a bare scalar means ``eq`` and a bare list means ``in``:
  ``model: gpt-4o`` is ``model: {eq: gpt-4o}``, ``team: [a, b]`` is ``team: {in: [a, b]}``.
* Several operators in one map must all hold: ``prompt_tokens: {gte: 1000, lte: 8000}``.
* A condition map with several keys means all of them; ``when: {}`` or no ``when`` matches
  every request.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.types import Category, ContentKind, Zone

# Route ids the engine itself uses in decisions.
RESERVED_IDS = frozenset({"default", "classification-failed"})
REQUESTED = "requested"
ANY_TYPE = "*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _shorthand(data: Any) -> Any:
    """A bare scalar means ``eq``, a bare list means ``in``."""
    if isinstance(data, list):
        return {"in": data}
    if data is None or isinstance(data, (str, int, float)):
        return {"eq": data}
    return data


def _compile_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
    return value


def _numbers_as_text(data: Any) -> Any:
    """``x-api-version: 2`` compares the header's text "2"; YAML booleans stay an error."""
    def text(v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
    if isinstance(data, dict):
        return {k: ([text(x) for x in v] if isinstance(v, list) else text(v)) if k != "matches" else v
                for k, v in data.items()}
    return data


class StrOps(_Strict):
    """Operators on a text value (model, team, key, header, endpoint, language). Numbers in
    ``eq``/``in``/``not_in`` are read as their text."""

    eq: str | None = None
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    matches: str | None = None  # re.search; anchor with ^...$ for a full match

    @model_validator(mode="before")
    @classmethod
    def _bare_value(cls, data: Any) -> Any:
        return _numbers_as_text(_shorthand(data))

    @field_validator("matches")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        return _compile_regex(v)

    @model_validator(mode="after")
    def _not_empty(self) -> StrOps:
        if self.eq is None and self.in_ is None and self.not_in is None and self.matches is None:
            raise ValueError("needs an operator: eq, in, not_in or matches")
        return self


class NumOps(_Strict):
    """Operators on a number (prompt_tokens)."""

    eq: int | None = Field(None, ge=0)
    in_: list[int] | None = Field(None, alias="in")
    not_in: list[int] | None = None
    gte: int | None = Field(None, ge=0)
    lte: int | None = Field(None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _bare_value(cls, data: Any) -> Any:
        return _shorthand(data)

    @model_validator(mode="after")
    def _not_empty(self) -> NumOps:
        if all(v is None for v in (self.eq, self.in_, self.not_in, self.gte, self.lte)):
            raise ValueError("needs an operator: eq, in, not_in, gte or lte")
        return self


class EntityCond(_Strict):
    """``any``/``all``/``none`` of entity types or group names (``*`` = any type).

    An entity counts when its score is at least ``min_score`` (default: the policy's
    ``min_score``). ``any``: at least ``min_count`` counted entities of the listed types in
    total; ``all``: every listed item (a type, or a group taken as the union of its types) has
    at least ``min_count``; ``none``: not ``any`` (fewer than ``min_count`` of the listed types).
    """

    any_: list[str] | None = Field(None, alias="any", min_length=1)
    all_: list[str] | None = Field(None, alias="all", min_length=1)
    none: list[str] | None = Field(None, min_length=1)
    min_score: float | None = Field(None, ge=0.0, le=1.0)
    min_count: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _not_empty(self) -> EntityCond:
        if self.any_ is None and self.all_ is None and self.none is None:
            raise ValueError("needs at least one of any, all, none (use any: ['*'] for any type)")
        return self


class ContentCond(_Strict):
    """``any``/``none`` of the content kinds a request carries that cannot be read as text:
    ``image``, ``audio``, ``file``, ``token_ids`` (a prompt given as token ids), ``unreadable``
    (a part the gateway does not know, or text beyond the detector's budget)."""

    any_: list[ContentKind] | None = Field(None, alias="any", min_length=1)
    none: list[ContentKind] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _not_empty(self) -> ContentCond:
        if self.any_ is None and self.none is None:
            raise ValueError("needs any or none (a list of: image, audio, file, token_ids, unreadable)")
        return self


class CategoryCond(_Strict):
    """``any``/``all``/``none`` of the confidential categories (``financial``, ``health``,
    ``legal``, ``hr``, ``source_code``, ``trade_secret``, ``security``; ``*`` = any), each
    counted when its score is at least ``min_score`` (default 0.5)."""

    any_: list[Category | Literal["*"]] | None = Field(None, alias="any", min_length=1)
    all_: list[Category] | None = Field(None, alias="all", min_length=1)
    none: list[Category | Literal["*"]] | None = Field(None, min_length=1)
    min_score: float = Field(0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _not_empty(self) -> CategoryCond:
        if self.any_ is None and self.all_ is None and self.none is None:
            raise ValueError("needs at least one of any, all, none (use any: ['*'] for any category)")
        return self


class ScoreOps(_Strict):
    """Operators on a score in 0..1 (complexity)."""

    gte: float | None = Field(None, ge=0.0, le=1.0)
    lte: float | None = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _not_empty(self) -> ScoreOps:
        if self.gte is None and self.lte is None:
            raise ValueError("needs an operator: gte or lte")
        return self


class Condition(_Strict):
    all_: list[Condition] | None = Field(None, alias="all")
    any_: list[Condition] | None = Field(None, alias="any")
    not_: Condition | None = Field(None, alias="not")
    entities: EntityCond | None = None
    content: ContentCond | None = None
    categories: CategoryCond | None = None
    complexity: ScoreOps | None = None
    model: StrOps | None = None
    team: StrOps | None = None
    key: StrOps | None = None
    header: dict[str, StrOps] | None = None
    endpoint: StrOps | None = None
    prompt_tokens: NumOps | None = None
    language: StrOps | None = None

    @field_validator("header")
    @classmethod
    def _lower_headers(cls, v: dict[str, StrOps] | None) -> dict[str, StrOps] | None:
        return None if v is None else {k.lower(): ops for k, ops in v.items()}


class GuardSpec(_Strict):
    id: str = Field(min_length=1)
    description: str | None = None
    when: Condition | None = None
    deny_zones: list[Zone] = Field(min_length=1)


class RouteSpec(_Strict):
    id: str = Field(min_length=1)
    description: str | None = None
    when: Condition | None = None
    action: Literal["route", "block"] = "route"
    to: str | None = None
    fallback: list[str] = []
    message: str | None = None
    # entity types or groups to pseudonymise before the call and restore in the answer
    redact: list[str] = []

    @model_validator(mode="after")
    def _action_fields(self) -> RouteSpec:
        if self.action == "route":
            if not self.to:
                raise ValueError("a route with action: route needs 'to' (a model name or 'requested')")
            if self.message is not None:
                raise ValueError("'message' is only for action: block")
        else:
            if self.to is not None or self.fallback or self.redact:
                raise ValueError("a route with action: block takes no 'to', 'fallback' or 'redact'")
        return self


class PolicySpec(_Strict):
    version: Literal[1]
    description: str | None = None
    default: str = Field(min_length=1)
    # where an embeddings request goes when no route matches (an embedding model)
    default_embedding: str | None = None
    # Score an entity needs to count, where a condition sets no min_score; also the threshold
    # of the entity counts a decision reports.
    min_score: float = Field(0.5, ge=0.0, le=1.0)
    entity_types: list[str] = []  # custom types this policy names beyond the known ones
    groups: dict[str, list[str]] = {}
    guards: list[GuardSpec] = []
    routes: list[RouteSpec] = []


Condition.model_rebuild()

# Every key the policy format knows, for "did you mean" hints on unknown keys.
KNOWN_KEYS = frozenset({
    "version", "description", "default", "default_embedding", "min_score", "entity_types", "groups", "guards", "routes",
    "id", "when", "deny_zones", "action", "to", "fallback", "message",
    "all", "any", "not", "none", "entities", "model", "team", "key", "header", "endpoint",
    "prompt_tokens", "language", "content", "categories", "complexity", "eq", "in", "not_in", "gte", "lte",
    "matches", "min_count", "redact",
})
