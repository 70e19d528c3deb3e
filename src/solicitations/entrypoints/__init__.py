"""Thin entrypoints: the HTTP app and the command line."""
