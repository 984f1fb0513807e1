"""Hybrid LLM routing gateway."""
