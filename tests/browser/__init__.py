"""Browser tests: real Chromium on the real app (a package, so its conftest does not shadow tests/conftest.py)."""
