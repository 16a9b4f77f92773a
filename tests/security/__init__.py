"""Hostile input: XML imports, uploads, and every form and JSON endpoint fuzzed (hypothesis)."""
