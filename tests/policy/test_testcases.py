"""The policy test runner: pass, fail with expected vs actual, errors, request-based cases."""

from __future__ import annotations

from pathlib import Path

from gateway.policy import load_policy, run_policy_tests, summary
from gateway.request import GatewayRequest
from gateway.signals import Entity, Signals
from tests.policy.util import example_config

POLICY = """\
version: 1
default: local-llama
groups: {personal: [PERSON, EMAIL_ADDRESS]}
guards:
  - {id: pii, when: {entities: {any: [personal]}}, deny_zones: [cloud]}
routes:
  - {id: secrets, when: {entities: {any: [SECRET]}}, action: block, message: "no"}
  - {id: auto-cloud, when: {model: auto}, to: gpt-4o, fallback: [claude]}
"""


def setup(tmp_path: Path, cases: str) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "cases.yaml").write_text("policy: ../policy.yaml\ncases:\n" + cases)
    return tests


def test_passing_cases_and_entity_forms(tmp_path: Path) -> None:
    tests = setup(tmp_path, """\
  - name: clean
    signals: {}
    expect: {route: auto-cloud, action: route, model: gpt-4o, backend: openai, zone: cloud,
             guards: [], fallbacks: [claude]}
  - name: score form
    signals: {entities: {PERSON: 0.9}}
    expect: {route: default, zone: local, guards: [pii]}
  - name: below threshold
    signals: {entities: {PERSON: 0.2}}
    expect: {zone: cloud}
  - name: count form and list form
    signals: {entities: [EMAIL_ADDRESS]}
    expect: {zone: local}
  - name: score and count
    signals: {entities: {SECRET: {score: 0.7, count: 2}}}
    expect: {block: true, message: "no"}
  - name: refuse is an action
    signals: {model: local-llama, entities: {PERSON: 3}}
    expect: {action: route, zone: local}
""")
    results = run_policy_tests(example_config(), tests)
    assert [r.status for r in results] == ["pass"] * 6, [str(r) for r in results]
    assert summary(results) == "6 passed, 0 failed, 0 errors"


def test_failure_names_expected_and_actual(tmp_path: Path) -> None:
    tests = setup(tmp_path, """\
  - name: wrong expectation
    signals: {entities: {EMAIL_ADDRESS: 0.9}}
    expect: {route: auto-cloud, zone: cloud, guards: []}
""")
    [result] = run_policy_tests(example_config(), tests)
    assert result.status == "fail" and result.line == 3
    assert str(result).splitlines() == [
        f"FAIL {tests / 'cases.yaml'}:3 wrong expectation",
        "  route: expected 'auto-cloud', got 'default'",
        "  zone: expected 'cloud', got 'local'",
        "  guards: expected [], got ['pii']",
        "  decision: route=default action=route model=local-llama zone=local guards=[pii] "
        "skipped=[auto-cloud: zone cloud denied by guard pii]",
    ]


def test_request_cases_need_a_classifier(tmp_path: Path) -> None:
    tests = setup(tmp_path, """\
  - name: needs the detector
    request: {endpoint: chat, body: {model: auto, messages: [{role: user, content: "mail a@b.example"}]}}
    expect: {zone: local}
""")
    [result] = run_policy_tests(example_config(), tests)
    assert result.status == "error" and "needs a classifier" in result.message

    seen: list[GatewayRequest] = []

    def classify(request: GatewayRequest) -> Signals:
        seen.append(request)
        return Signals((Entity("EMAIL_ADDRESS", 0.9, 0, 0, 5, 15),))

    [result] = run_policy_tests(example_config(), tests, classify)
    assert result.status == "pass"
    assert seen[0].model == "auto" and seen[0].endpoint == "chat"


def test_classifier_failure_is_an_error_without_content(tmp_path: Path) -> None:
    tests = setup(tmp_path, """\
  - name: classifier raises
    request: {body: {messages: [{role: user, content: "secret text"}]}}
    expect: {zone: local}
""")

    def broken(request: GatewayRequest) -> Signals:
        raise RuntimeError("secret text")

    [result] = run_policy_tests(example_config(), tests, broken)
    assert result.status == "error" and result.message == "classifier failed: RuntimeError"


def test_invalid_test_file_and_policy(tmp_path: Path) -> None:
    tests = setup(tmp_path, """\
  - name: both inputs
    signals: {}
    request: {body: {}}
    expect: {zone: local, zones: local}
""")
    results = run_policy_tests(example_config(), tests)
    assert [(r.status, r.line, r.name, r.message) for r in results] == [
        ("error", 6, "cases[0].expect.zones", "unknown key")]
    (tests / "cases.yaml").write_text("policy: ../policy.yaml\ncases:\n"
                                      "  - {name: both, signals: {}, request: {body: {}}, expect: {}}\n")
    [result] = run_policy_tests(example_config(), tests)
    assert (result.line, result.message) == (3, "a case needs exactly one of 'request' or 'signals'")
    (tmp_path / "policy.yaml").write_text("version: 1\ndefault: nowhere\n")
    (tests / "cases.yaml").write_text("policy: ../policy.yaml\ncases: [{name: x, signals: {}, expect: {}}]\n")
    [result] = run_policy_tests(example_config(), tests)
    assert result.status == "error" and "default: unknown model 'nowhere'" in result.message


def test_policy_target_runs_only_its_own_files(tmp_path: Path) -> None:
    tests = setup(tmp_path, "  - {name: mine, signals: {}, expect: {zone: cloud}}\n")
    (tests / "other.yaml").write_text(
        "policy: ../other.yaml\ncases: [{name: theirs, signals: {}, expect: {}}]\n")
    policy = load_policy(tmp_path / "policy.yaml", example_config())
    results = run_policy_tests(policy, tests)
    assert [r.name for r in results] == ["mine"]
