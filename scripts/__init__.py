"""Maintenance scripts: generators of synthetic exports (demo file, loader benchmark)."""
