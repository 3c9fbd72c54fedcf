"""Test helpers shared by tests/ and tests/browser/: synthetic drawings, hands, runs, models and fakes.

Tests import them as `from helpers.drawings import pen_canvas` (pytest puts tests/ on sys.path). Test modules
never import each other: whatever two of them share lives here or in a conftest.py fixture.
"""
