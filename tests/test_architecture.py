"""The import arrows of ARCHITECTURE.md only ever point down.

    clearing      -> numpy, stdlib
    exchange      -> clearing, sortedcontainers, stdlib
    marketmakers  -> exchange, clearing, numpy and other third-party libraries; never api
    api           -> everything

Checked statically on every module's import statements, so a forbidden import fails here
even if it sits in a branch that no test runs; and on every .pxd file's `cimport`s (the
compiled build's C declarations, setup.py), which bind modules as surely as an import does.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"clearing", "exchange", "marketmakers", "api", "bench"}
STDLIB = set(sys.stdlib_module_names)
CYTHON = {"cython", "cpython", "libc", "libcpp", "posix"}  # Cython's own declarations, for .pxd files

RULES = {
    # package: (our packages it may import, third-party it may import; None = any)
    "clearing": ({"clearing"}, {"numpy"}),
    "exchange": ({"exchange", "clearing"}, {"sortedcontainers"}),
    "marketmakers": ({"marketmakers", "exchange", "clearing"}, None),
}


def imports_of(path: Path) -> set[str]:
    """The top-level packages a module imports (a .pxd file: imports and cimports)."""
    if path.suffix == ".pxd":
        return pxd_imports(path.read_text())
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


_PXD_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+c?import\b|c?import\s+([\w.]+(?:\s*,\s*[\w.]+)*))",
                         re.MULTILINE)


def pxd_imports(text: str) -> set[str]:
    """`from a.b cimport c`, `cimport a.b`, `cimport a, b` (and their `import` forms) in a .pxd;
    comments dropped first (a .pxd is not Python: it is read line by line)."""
    text = re.sub(r"#.*", "", text)
    names = set()
    for module, listed in _PXD_IMPORT.findall(text):
        for name in [module] if module else listed.split(","):
            names.add(name.strip().split(".")[0])
    return names


def modules():
    for package in RULES:
        for pattern in ("*.py", "*.pxd"):
            for path in sorted((ROOT / package).rglob(pattern)):
                yield package, path


def violations(package: str, path: Path) -> list[str]:
    ours_allowed, third_allowed = RULES[package]
    found = []
    for name in imports_of(path):
        if name in OURS:
            if name not in ours_allowed:
                found.append(f"{path.name} imports {name}")
        elif name not in STDLIB and name != "__future__" and third_allowed is not None \
                and name not in third_allowed and not (path.suffix == ".pxd" and name in CYTHON):
            found.append(f"{path.name} imports third-party {name}")
    return found


@pytest.mark.parametrize("package,path", list(modules()), ids=lambda p: str(p).split("/main/")[-1])
def test_imports_point_down(package, path):
    assert not violations(package, path), path.relative_to(ROOT)


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from exchange.venue import Venue\nimport numpy\n")
    assert imports_of(bad) == {"exchange", "numpy"}


def test_the_check_reads_a_pxd_files_cimports(tmp_path):
    bad = tmp_path / "bad.pxd"
    bad.write_text("# from api cimport nothing (a comment)\ncimport cython\n"
                   "from libc.stdlib cimport malloc\n"
                   "from marketmakers.venue_port cimport (LocalVenue,\n    Other)\n"
                   "cimport exchange.book, numpy\n")
    assert imports_of(bad) == {"cython", "libc", "marketmakers", "exchange", "numpy"}
    assert sorted(violations("exchange", bad)) == ["bad.pxd imports marketmakers",
                                                   "bad.pxd imports third-party numpy"]
    assert violations("marketmakers", bad) == []  # cython and libc: Cython's own


def test_every_pxd_is_checked():
    checked = {path for _, path in modules() if path.suffix == ".pxd"}
    assert ROOT / "exchange" / "venue.pxd" in checked and ROOT / "marketmakers" / "venue_port.pxd" in checked
