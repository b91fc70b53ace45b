"""sitex beside another distribution that uses one of its package names.

sitex's packages have plain names (`api`, `bench`, `clearing`, `exchange`, `marketmakers`).
The wheel keeps them in site-packages/sitex_packages/, which sitex.pth puts on the path after
site-packages, and the `sitex` command (sitex.py) puts that directory first (setup.py). Here
a distribution named `bench`, with a `bench` package of its own, is installed into a fresh
virtual environment that also sees the installed sitex: each must get its own `bench`.
"""

import base64
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import sitex

PACKAGES = {"api", "bench", "clearing", "exchange", "marketmakers"}
installed = Path(sitex.__file__).parent.name == "sitex_packages"
pytestmark = pytest.mark.skipif(not installed, reason="sitex runs from a checkout here, not from its wheel")


def test_the_wheel_puts_no_package_at_the_top_of_site_packages():
    files = [str(f) for f in importlib.metadata.distribution("sitex").files]
    top = {f.split("/")[0] for f in files if not f.startswith("..")}  # ../../bin/sitex: the script
    assert top == {"sitex_packages", "sitex.pth", "sitex-0.1.0.dist-info"}, top
    assert not PACKAGES & top
    pth = Path(sitex.__file__).parents[1] / "sitex.pth"
    assert pth.read_text().split() == ["sitex_packages"]
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert scripts["sitex"].value == "sitex:main"


def _wheel(directory: Path, name: str, files: dict[str, str]) -> Path:
    """A minimal pure-Python wheel holding `files` (path -> text)."""
    info = f"{name}-1.0.dist-info"
    files = {**files, f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    path = directory / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for name_, text in files.items():
            whl.writestr(name_, text)
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with a distribution named `bench` installed, and the
    site-packages of this one (the installed sitex, its dependencies) after its own."""
    root = tmp_path_factory.mktemp("beside")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    dummy = _wheel(root, "bench", {
        "bench/__init__.py": "WHO = 'the other bench'\n",
        "bench/engine.py": "def main(argv=None):\n    return 99\n",
    })
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "--no-index", "-q", str(dummy)], check=True, capture_output=True)
    site_dir = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    ours = str(Path(sitex.__file__).parents[1])  # the site-packages that holds sitex.pth
    Path(site_dir, "zz_parent.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


def _run(python: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(python), *args], capture_output=True, text=True, env=env,
                          cwd=python.parents[2], timeout=300)


def test_the_other_distribution_keeps_its_bench(venv):
    done = _run(venv, "-c", "import bench, bench.engine; print(bench.WHO, bench.engine.main())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["the", "other", "bench", "99"]


def test_sitex_runs_its_own_bench_beside_it(venv):
    done = _run(venv, "-m", "sitex", "bench", "engine", "--ops", "3000", "--repeat", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ops_per_s"] > 0 and result["trades"] > 0
    done = _run(venv, "-c", "import sitex; sitex.use_own_packages(); import bench.engine, exchange;"
                            "print(bench.engine.__file__)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).parents[1].name == "sitex_packages"
