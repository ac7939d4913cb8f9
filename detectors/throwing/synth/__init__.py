"""Synthetic facade scenes with ground truth, for tests, tuning and evaluation."""
