"""Evaluation harness behind ``newsqa eval qa|rtqa``: metrics, cached stores, run folders, reports."""
