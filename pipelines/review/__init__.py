"""Analyst review of risk flags: store, command line and web app."""
