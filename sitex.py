"""The `sitex` command's entry point: it runs sitex's own packages, whatever else is installed.

sitex's packages have plain names (`api`, `bench`, `clearing`, `exchange`, `marketmakers`) that
other distributions use too. So `pip install .` puts them in a directory of their own,
site-packages/sitex_packages/, and site-packages/sitex.pth adds that directory to the path
after site-packages itself (setup.py): no file of sitex and no file of another distribution
can overwrite each other, and a `bench` that another distribution installs comes first for
everyone else's `import bench`. The `sitex` command starts here and puts sitex's directory
first, so it always runs sitex's own packages. In a checkout this file sits beside the
packages, and the same holds. (tests/test_layout.py installs a `bench` beside sitex.)
"""

from __future__ import annotations

import sys
from pathlib import Path

HOME = str(Path(__file__).resolve().parent)  # the directory that holds sitex's packages
PACKAGES = ("api", "bench", "clearing", "exchange", "marketmakers")


def use_own_packages() -> None:
    """sitex's directory first on the path, so `import bench` finds sitex's bench."""
    if sys.path[:1] != [HOME]:
        sys.path.insert(0, HOME)


def main(argv: list[str] | None = None) -> int:
    use_own_packages()
    from api.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":  # python -m sitex ...
    sys.exit(main())
