"""The shared core: helpers every app may import (money, uploads, PDF engine, charts,
storage, cache primitives, search primitives, domain errors, state transitions).

It imports no app of ours (organizations, projects, funding, or the site modules of
``portal``); the import-linter contract in ``pyproject.toml`` enforces it.
See docs/architecture.md.
"""
