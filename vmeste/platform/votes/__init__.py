"""Votes on objects, projects and budgets: one secret ballot per person, counted as it
arrives, verifiable by its receipt, watched for anomalies."""
