"""The import arrows of ARCHITECTURE.md only ever point down.

    clearing      -> numpy, stdlib
    exchange      -> clearing, sortedcontainers, stdlib
    marketmakers  -> exchange, clearing, numpy and other third-party libraries; never api
    api           -> everything

Checked statically on every module's import statements, so a forbidden import fails here
even if it sits in a branch that no test runs.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"clearing", "exchange", "marketmakers", "api", "bench"}
STDLIB = set(sys.stdlib_module_names)

RULES = {
    # package: (our packages it may import, third-party it may import; None = any)
    "clearing": ({"clearing"}, {"numpy"}),
    "exchange": ({"exchange", "clearing"}, {"sortedcontainers"}),
    "marketmakers": ({"marketmakers", "exchange", "clearing"}, None),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules():
    for package in RULES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


@pytest.mark.parametrize("package,path", list(modules()), ids=lambda p: str(p).split("/main/")[-1])
def test_imports_point_down(package, path):
    ours_allowed, third_allowed = RULES[package]
    for name in imports_of(path):
        if name in OURS:
            assert name in ours_allowed, f"{path.relative_to(ROOT)} imports {name}"
        elif name not in STDLIB and name != "__future__" and third_allowed is not None:
            assert name in third_allowed, f"{path.relative_to(ROOT)} imports third-party {name}"


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from exchange.venue import Venue\nimport numpy\n")
    assert imports_of(bad) == {"exchange", "numpy"}
