"""Evaluation and benchmarks: the project beside the usual LangChain recipe."""
