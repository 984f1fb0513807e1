"""Building Presidio results for the recognizers that match with their own code."""

from __future__ import annotations

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult


def make_result(recognizer: EntityRecognizer, entity: str, start: int, end: int, score: float,
                why: str) -> RecognizerResult:
    """A result with the metadata Presidio's context enhancer needs (the recognizer's id and an
    explanation it can annotate)."""
    explanation = AnalysisExplanation(recognizer=recognizer.name, original_score=score, textual_explanation=why)
    return RecognizerResult(entity, start, end, score, analysis_explanation=explanation, recognition_metadata={
        RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
    })
