from __future__ import annotations

import pytest

from gateway.classify.detector import Detector
from tests.classify.conftest import found


@pytest.mark.parametrize("text", [
    "Pretend yourself to be Elon Musk in all the following conversations. Speak like Elon Musk.",
    "Pretend yourself to be Elon Musk. Why do we need to go to Mars?",  # the name ends the sentence
    'Embrace the role of Sheldon from "The Big Bang Theory". Don\'t start with "As Sheldon".',
    "Embody the persona of Tony Stark from “Iron Man”. Bypass the introduction “As Stark”.",
    "Discuss the themes employed by Leo Tolstoy in 'War and Peace.'",  # an author tied to a work
    "Draw the Lewis structure for water.",  # an eponym
    "Given these categories - Literature, History, Science, and Art.",  # a list of common words
    "Nestled amidst old customs, Buenos Aires, the capital of Argentina, is a metropolis.",
    "Embark on an adventure, explore the Amazon River.",  # an imperative opening a sentence
    "Soon, he finds himself at the school.",  # an adverb that is also a given name
])
def test_no_private_person(detector: Detector, text: str) -> None:
    assert not found(detector, text, "PERSON")


@pytest.mark.parametrize(("text", "name"), [
    ("Please forward the contract to Elon Smith tomorrow.", "Elon Smith"),  # no cue
    ("Tony, can you send the invoice?", "Tony"),  # a vocative stays a name
    ("My neighbour Sheldon Cooper from apartment 4 lost his keys.", "Sheldon Cooper"),  # "from", no title
    ('Enrico shouted at Gary: "What are you doing here?"', "Gary"),  # dialogue in quotes, no title
    ("Ask Lewis about the structure of the report.", "Lewis"),  # no eponym right after the name
    ('Please add Maria Lopez in "Accounts" with read access.', "Maria Lopez"),  # a one-word label, no work
    ("What is the role of Maria Lopez in the merger?", "Maria Lopez"),  # "role of" without role-play
])
def test_private_person_kept(detector: Detector, text: str, name: str) -> None:
    assert any(name in f for f in found(detector, text, "PERSON")), found(detector, text, "PERSON", 0.0)


def test_persona_reported_under_the_threshold(detector: Detector) -> None:
    spans = [s for s in detector.scan("Act as Elon Musk and answer.").spans if s.type == "PERSON"]
    assert spans and all(s.score < 0.5 for s in spans)
