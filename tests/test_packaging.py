"""Packaging metadata (issue 9, finding 6: setuptools warned about the license table)."""

from __future__ import annotations

import pytest

from mteval_test_support import REPO


def test_license_is_an_spdx_expression_for_a_setuptools_that_reads_it() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"  # not the deprecated {text = ...} table
    requires = project["build-system"]["requires"]
    assert any(r.replace(" ", "").startswith("setuptools>=77") for r in requires), requires
