"""The semantic scorer: loading, result shape, clear cases on the right side, determinism, no network."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gateway.classify.semantic import CATEGORIES, SemanticConfig, SemanticResult, SemanticScorer
from gateway.classify.semantic.features import Limits
from gateway.classify.semantic.scorer import calibrate
from gateway.classify.semantic.windows import windows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scorer() -> Iterator[SemanticScorer]:
    yield SemanticScorer(SemanticConfig())


CONFIDENTIAL_PLAIN: list[tuple[str, str, str]] = [
    ("en", "financial", "Our Q3 revenue came in at $38M, 12% below the board plan, and we haven't told investors yet. "
                        "Help me draft the note to the board."),
    ("en", "health", "My husband was just diagnosed with stage 2 lymphoma and starts R-CHOP next week; how do I "
                     "ask my manager for flexible hours without telling her why?"),
    ("en", "security", "Our VPN gateway is still unpatched against the remote code execution bug and reachable "
                       "from the internet; we can't update it until next month."),
    ("ru", "hr", "В следующем месяце сокращаем 20 человек в отделе продаж, список уже согласован, сотрудники "
                 "ещё не знают. Помоги написать план разговора."),
    ("ru", "legal", "Наш юрист считает, что суд мы скорее проиграем, поэтому готовы на мировое до 80 млн руб., "
                    "но другой стороне это знать нельзя."),
    ("ru", "trade_secret", "Рецептура нашего нового соуса, которую знают только два технолога: паприка 42 г, "
                           "тамаринд 65 г, наша ферментированная паста 300 г."),
]
# index in CONFIDENTIAL_PLAIN -> why its category is known to come out wrong (strict: a fix shows)
KNOWN_WRONG_CATEGORY: dict[int, str] = {}
CONFIDENTIAL = [
    pytest.param(*c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG_CATEGORY[i]))
    if i in KNOWN_WRONG_CATEGORY else c
    for i, c in enumerate(CONFIDENTIAL_PLAIN)
]
HARMLESS = [
    ("en", "What's a good recipe for banana bread without eggs?"),
    ("en", "Explain the difference between EBITDA and operating income with a made-up example."),
    ("en", "Write a short poem about autumn rain in the city."),
    ("ru", "Какая столица у Австралии?"),
    ("ru", "Объясни, что такое уязвимость SQL-инъекция и как от неё защититься."),
    ("ru", "Напиши функцию на Python, которая проверяет, является ли строка палиндромом."),
]
COMPLEX = [
    "Design a rate limiter for a multi-region API and compare the token bucket and sliding window approaches.",
    "Докажи, что существует бесконечно много простых чисел, и объясни каждый шаг доказательства.",
]
SIMPLE = ["hi, how are you?", "Переведи на английский: «Доброе утро»."]


def test_result_shape_and_ranges(scorer: SemanticScorer) -> None:
    for text in ["", "   ", "x", "Hello there", "Привет " * 2000, CONFIDENTIAL_PLAIN[0][2]]:
        r = scorer.score(text)
        assert isinstance(r, SemanticResult)
        assert list(r.categories) == list(CATEGORIES)
        assert all(0.0 <= v <= 1.0 for v in r.categories.values())
        assert 0.0 <= r.complexity <= 1.0


@pytest.mark.parametrize(("lang", "category", "text"), CONFIDENTIAL_PLAIN)
def test_clear_confidential_prompts_are_flagged(scorer: SemanticScorer, lang: str, category: str,
                                                text: str) -> None:
    assert max(scorer.score(text).categories.values()) >= 0.5, (lang, category)


@pytest.mark.parametrize(("lang", "category", "text"), CONFIDENTIAL)
def test_clear_confidential_prompts_get_their_category(scorer: SemanticScorer, lang: str, category: str,
                                                       text: str) -> None:
    r = scorer.score(text)
    assert r.categories[category] >= 0.5, (lang, category, r.categories)


@pytest.mark.parametrize(("lang", "text"), HARMLESS)
def test_clear_harmless_prompts_are_not_flagged(scorer: SemanticScorer, lang: str, text: str) -> None:
    assert scorer.score(text).flagged == [], lang


def test_confidential_sentence_inside_long_material_is_found(scorer: SemanticScorer) -> None:
    filler = "The kitchen on the third floor will be closed for cleaning on Friday. " * 20
    secret = ("Between us: our Q2 revenue fell 14% below budget and the board will cut 60 jobs in September, "
              "which nobody outside the leadership team knows.")
    assert max(scorer.score(filler).categories.values()) < 0.5
    assert max(scorer.score("Summarize these notes:\n" + filler + secret + " " + filler).categories.values()) >= 0.5


def test_complexity_sides(scorer: SemanticScorer) -> None:
    for text in COMPLEX:
        assert scorer.score(text).complexity >= 0.5, text
    for text in SIMPLE:
        assert scorer.score(text).complexity < 0.5, text


def test_deterministic_and_batch_equals_single(scorer: SemanticScorer) -> None:
    texts = [t for _, _, t in CONFIDENTIAL_PLAIN] + [t for _, t in HARMLESS]
    first = [scorer.score(t) for t in texts]
    assert scorer.score_batch(texts) == first
    again = SemanticScorer(SemanticConfig())
    assert [again.score(t) for t in texts] == first


def test_scores_are_the_same_in_a_fresh_process(scorer: SemanticScorer) -> None:
    # hashing of words must not depend on the process (Python's str hash is salted per process)
    text = CONFIDENTIAL_PLAIN[3][2]
    code = ("import json; from gateway.classify.semantic import SemanticConfig, SemanticScorer; "
            f"print(json.dumps(SemanticScorer(SemanticConfig()).score({text!r}).categories))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"})
    import json

    assert json.loads(out.stdout) == scorer.score(text).categories


def test_long_input_is_bounded() -> None:
    lim = Limits()
    text = "A sentence about nothing in particular. " * 5000
    ws = windows(text, lim.window_chars, lim.max_windows)
    assert 1 < len(ws) <= lim.max_windows
    assert ws[0][0] == 0 and ws[-1][1] > len(text) // 2  # spread over the whole text


def test_weights_mismatch_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    # well-formed heads of the wrong size: 2 outputs instead of 7 categories + "confidential"
    arrays = {f"{p}.{k}": np.zeros((2, 2), np.float16) for p in ("cat0", "cx0")
              for k in ("mu", "sd", "w_dense", "w_lex", "b1", "w_out", "b2")}
    np.savez(bad, **arrays, **{"meta.keys": np.asarray(["v"]), "meta.values": np.asarray(["0"])})
    with pytest.raises(ValueError):
        SemanticScorer(SemanticConfig(weights=str(bad)))


def test_scorer_makes_no_network_call(no_network: None) -> None:
    s = SemanticScorer(SemanticConfig())
    r = s.score(CONFIDENTIAL_PLAIN[0][2] + " " + CONFIDENTIAL_PLAIN[3][2])
    assert max(r.categories.values()) >= 0.5


@pytest.mark.parametrize("point", [0.3, 0.5, 0.6, 0.8])
def test_calibration_puts_the_operating_point_at_one_half_and_keeps_order(point: float) -> None:
    raw = np.linspace(0.0, 1.0, 101, dtype=np.float32)
    out = calibrate(raw, point)
    assert out[0] == 0.0 and abs(float(out[-1]) - 1.0) < 1e-6
    assert abs(float(calibrate(np.asarray([point], np.float32), point)[0]) - 0.5) < 1e-6
    assert np.all(np.diff(out) > 0)  # strictly increasing: no two raw scores swap or merge
    assert np.array_equal(raw >= point, out >= 0.5)  # the decision at 0.5 is the raw one at the point


def test_the_scorer_reports_scores_calibrated_to_its_weights_operating_point(scorer: SemanticScorer,
                                                                           tmp_path: Path) -> None:
    point = float(scorer.meta["operating_point"])
    assert 0.5 <= point < 1.0
    shipped = Path(__file__).resolve().parents[2] / "gateway" / "classify" / "semantic" / "data" / "semantic_v1.npz"
    with np.load(shipped, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    keys = [str(k) for k in arrays["meta.keys"]]
    values = [str(v) for v in arrays["meta.values"]]
    values[keys.index("operating_point")] = "0.5"
    arrays["meta.values"] = np.asarray(values)
    raw_weights = tmp_path / "raw.npz"
    np.savez(raw_weights, **arrays)
    raw = SemanticScorer(SemanticConfig(weights=str(raw_weights)))
    for _, _, text in CONFIDENTIAL_PLAIN[:4]:
        got = scorer.score(text).categories
        want = calibrate(np.asarray(list(raw.score(text).categories.values()), np.float32), point)
        assert np.allclose(list(got.values()), want, atol=2e-4)
