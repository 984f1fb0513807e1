"""Confidential categories and complexity from what a prompt says (a small local model)."""

from gateway.classify.semantic.scorer import CATEGORIES, SemanticConfig, SemanticResult, SemanticScorer

__all__ = ["CATEGORIES", "SemanticConfig", "SemanticResult", "SemanticScorer"]
