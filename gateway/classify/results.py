"""Building Presidio results for the recognizers that match with their own code."""

from __future__ import annotations

from presidio_analyzer import AnalysisExplanation, RecognizerResult


def make_result(name: str, recognizer_id: str, entity: str, start: int, end: int, score: float,
                why: str) -> RecognizerResult:
    """A result with the metadata Presidio's context enhancer needs (the recognizer's name and id,
    and an explanation it can annotate)."""
    explanation = AnalysisExplanation(recognizer=name, original_score=score, textual_explanation=why)
    return RecognizerResult(entity, start, end, score, analysis_explanation=explanation, recognition_metadata={
        RecognizerResult.RECOGNIZER_NAME_KEY: name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer_id,
    })
