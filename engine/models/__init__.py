"""Pydantic models of every input and output format."""
