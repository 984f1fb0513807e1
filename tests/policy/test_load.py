"""Loading: every misconfiguration is an error naming file, line and key."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from gateway.policy import load_policy
from tests.policy.util import ROOT, example_config, policy


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        policy(text)
    return [str(p) for p in info.value.problems]


def test_shipped_policies_load() -> None:
    cfg = example_config()
    for path in [ROOT / "policies/default.yaml", *sorted((ROOT / "policies/examples").glob("*.yaml"))]:
        p = load_policy(path, cfg)
        assert len(p.version) == 12


def test_version_is_a_content_hash() -> None:
    a = policy("version: 1\ndefault: local-llama\n")
    b = policy("version: 1\ndefault: local-llama\n")
    c = policy("version: 1\ndefault: local-llama  # edited\n")
    assert a.version == b.version != c.version


def test_unknown_key_with_hint() -> None:
    assert problems("""\
        version: 1
        default: local-llama
        guards:
          - id: g
            when: {entities: {any: [PERSON]}}
            deny_zone: [cloud]
        """) == [
        "policy.yaml:4: guards[0].deny_zones: Field required",
        "policy.yaml:6: guards[0].deny_zone: unknown key 'deny_zone' (did you mean 'deny_zones'?)",
    ]


def test_unknown_operator_for_numbers() -> None:
    assert problems("""\
        version: 1
        default: local-llama
        routes:
          - id: r
            when:
              prompt_tokens: {matches: "^1"}
            to: gpt-4o
        """) == ["policy.yaml:6: routes[0].when.prompt_tokens.matches: 'matches' is not allowed here "
                 "(allowed: eq, in, not_in, gte, lte)"]


def test_content_kinds_are_checked() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        guards:
          - id: g
            when: {content: {any: [image, video]}}
            deny_zones: [cloud]
          - id: h
            when: {content: {}}
            deny_zones: [cloud]
        """)
    assert len(out) == 2
    assert out[0].startswith("policy.yaml:5: guards[0].when.content.any[1]: ")
    assert "image" in out[0] and "unreadable" in out[0]
    assert out[1].startswith("policy.yaml:8: guards[1].when.content: needs any or none")


def test_unknown_models_everywhere() -> None:
    out = problems("""\
        version: 1
        default: local-lama
        routes:
          - id: r
            when: {model: {in: [gpt-4o, gpt-5]}}
            to: gtp-4o
            fallback: [claude, llama]
        """)
    assert out == [
        "policy.yaml:2: default: unknown model 'local-lama' "
        "(known: claude, gpt-4o, local-embed, local-llama, text-embedding-3-small)",
        "policy.yaml:5: routes[0].when.model.in[1]: unknown model 'gpt-5' "
        "(known: claude, gpt-4o, local-embed, local-llama, text-embedding-3-small or 'auto')",
        "policy.yaml:6: routes[0].to: unknown model 'gtp-4o' "
        "(known: claude, gpt-4o, local-embed, local-llama, text-embedding-3-small or 'requested')",
        "policy.yaml:7: routes[0].fallback[1]: unknown model 'llama' "
        "(known: claude, gpt-4o, local-embed, local-llama, text-embedding-3-small)",
    ]


def test_unknown_entity_types_and_groups() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        groups:
          personal: [PERSON, EMAIL_ADRESS]
        guards:
          - id: g
            when:
              any:
                - entities: {any: [personel]}
                - entities: {none: [SECRETS], all: [personal]}
            deny_zones: [cloud]
        """)
    assert out == [
        "policy.yaml:4: groups.personal[1]: unknown entity type 'EMAIL_ADRESS' "
        "(did you mean 'EMAIL_ADDRESS'?)",
        "policy.yaml:9: guards[0].when.any[0].entities.any[0]: unknown entity type or group 'personel' "
        "(did you mean 'personal'?)",
        "policy.yaml:10: guards[0].when.any[1].entities.none[0]: unknown entity type or group 'SECRETS' "
        "(did you mean 'SECRET'?)",
    ]


def test_custom_entity_types_declared_or_from_recognizers() -> None:
    text = """\
        version: 1
        default: local-llama
        entity_types: [PROJECT_CODENAME]
        guards:
          - {id: g, when: {entities: {any: [PROJECT_CODENAME, EMPLOYEE_ID]}}, deny_zones: [cloud]}
        """
    assert problems(text) == [
        "policy.yaml:5: guards[0].when.entities.any[1]: unknown entity type or group 'EMPLOYEE_ID' "
        "(declare custom types under entity_types)"]
    cfg = example_config()
    cfg = cfg.model_copy(update={"classifier": cfg.classifier.model_copy(
        update={"recognizers": [{"entity_type": "EMPLOYEE_ID", "regex": "E[0-9]{6}"}]})})
    policy(text, cfg)


def test_thresholds_outside_unit_interval() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        min_score: 1.5
        guards:
          - id: g
            when: {entities: {any: [PERSON], min_score: -0.1, min_count: 0}}
            deny_zones: [cloud]
        """)
    assert out == [
        "policy.yaml:3: min_score: Input should be less than or equal to 1",
        "policy.yaml:6: guards[0].when.entities.min_count: Input should be greater than or equal to 1",
        "policy.yaml:6: guards[0].when.entities.min_score: Input should be greater than or equal to 0",
    ]


def test_invalid_regex() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        guards:
          - id: g
            when:
              header:
                x-project: {matches: "([a-z]+"}
            deny_zones: [cloud]
        """)
    assert out == ["policy.yaml:7: guards[0].when.header.x-project.matches: "
                   "invalid regular expression: missing ), unterminated subpattern at position 0"]


def test_route_shape_errors() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        routes:
          - id: no-target
            when: {model: auto}
          - id: block-with-target
            action: block
            to: gpt-4o
          - id: bad-action
            action: drop
            to: gpt-4o
        """)
    assert out == [
        "policy.yaml:4: routes[0]: a route with action: route needs 'to' (a model name or 'requested')",
        "policy.yaml:6: routes[1]: a route with action: block takes no 'to', 'fallback' or 'redact'",
        "policy.yaml:10: routes[2].action: Input should be 'route' or 'block'",
    ]


def test_unknown_endpoint_and_zone() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        guards:
          - {id: g, when: {endpoint: chats}, deny_zones: [cloud, mars]}
        """)
    assert out == [
        "policy.yaml:4: guards[0].deny_zones[1]: Input should be 'local' or 'cloud'",
    ]
    out = problems("""\
        version: 1
        default: local-llama
        guards:
          - {id: g, when: {endpoint: chats}, deny_zones: [cloud]}
        """)
    assert out == ["policy.yaml:4: guards[0].when.endpoint.eq: unknown endpoint 'chats' "
                   "(known: chat, completions, embeddings, messages, responses)"]


def test_duplicate_and_reserved_ids() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        guards:
          - {id: same, when: {team: a}, deny_zones: [cloud]}
        routes:
          - {id: same, when: {team: b}, to: gpt-4o}
          - {id: default, when: {team: c}, to: gpt-4o}
          - {id: r, when: {team: d}, to: gpt-4o}
          - {id: r, when: {team: e}, to: claude}
        """)
    assert out == [
        "policy.yaml:6: routes[0].id: duplicate id 'same' (also guards[0])",
        "policy.yaml:7: routes[1].id: 'default' is reserved",
        "policy.yaml:9: routes[3].id: duplicate id 'r' (also routes[2])",
    ]


def test_duplicate_yaml_key() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        default: gpt-4o
        """)
    assert out == ["policy.yaml:3: default: duplicate key"]


def test_unreachable_route_after_catch_all() -> None:
    out = problems("""\
        version: 1
        default: local-llama
        routes:
          - {id: everything-local, to: local-llama}
          - {id: never, when: {model: auto}, to: gpt-4o}
          - {id: never-either, when: {team: x}, action: block}
        """)
    assert out == [
        "policy.yaml:5: routes[1].id: route 'never' is unreachable: route 'everything-local' "
        "before it matches every request",
        "policy.yaml:6: routes[2].id: route 'never-either' is unreachable: route 'everything-local' "
        "before it matches every request",
    ]


def test_catch_all_into_a_deniable_zone_is_not_a_catch_all() -> None:
    # the catch-all can be skipped when the guard fires, so later routes stay reachable
    policy("""\
        version: 1
        default: local-llama
        guards:
          - {id: g, when: {entities: {any: [PERSON]}}, deny_zones: [cloud]}
        routes:
          - {id: all-to-cloud, when: {}, to: gpt-4o}
          - {id: named, when: {model: claude}, to: requested}
          - {id: and-requested, when: {all: []}, to: requested}
          - {id: still-reachable, when: {model: auto}, to: local-llama}
        """)


def test_default_always_denied() -> None:
    out = problems("""\
        version: 1
        default: gpt-4o
        guards:
          - {id: nothing-leaves, deny_zones: [cloud]}
        routes:
          - {id: cloud, when: {model: auto}, to: claude, fallback: [local-llama, gpt-4o]}
        """)
    assert out == [
        "policy.yaml:2: default: default 'gpt-4o' is in zone cloud, which guard 'nothing-leaves' "
        "denies to every request",
        "policy.yaml:6: routes[0].fallback[1]: fallback 'gpt-4o' is in zone cloud, which guard "
        "'nothing-leaves' denies to every request",
        "policy.yaml:6: routes[0].to: route 'cloud' is never taken: target 'claude' is in zone cloud, "
        "which guard 'nothing-leaves' denies to every request",
    ]


def test_always_true_guard_by_combinator() -> None:
    out = problems("""\
        version: 1
        default: gpt-4o
        guards:
          - {id: tautology, when: {any: [{}, {team: x}]}, deny_zones: [cloud]}
        """)
    assert len(out) == 1 and "denies to every request" in out[0]


def test_not_a_mapping_and_bad_yaml() -> None:
    assert problems("- just\n- a list\n") == [
        "policy.yaml:1: a policy must be a mapping with version, default, groups, guards and routes"]
    assert problems("version: 1\ndefault: [unclosed\n")[0].startswith("policy.yaml:3: invalid YAML")


def test_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        load_policy(tmp_path / "nope.yaml", example_config())
    assert "cannot read file" in str(info.value)


def test_all_problems_reported_at_once() -> None:
    out = problems("""\
        version: 1
        default: nowhere
        groups: {g: [NOPE]}
        routes:
          - {id: a, when: {model: auto}, to: nowhere}
          - {id: a, when: {model: auto}, to: gpt-4o}
        """)
    assert [o.split(":")[1] for o in out] == ["2", "3", "5", "6"]
