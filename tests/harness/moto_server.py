"""Run moto_server with liftoff's patch layer: ``python -m tests.harness.moto_server -p PORT``."""

from __future__ import annotations

import sys

from tests.harness import moto_patches


def main(argv: list[str] | None = None) -> None:
    moto_patches.apply_all()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
