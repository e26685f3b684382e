"""`python -m warroom` and the installed `warroom` command (pyproject's entry point).

The garbage collector is held off before the CLI and the core are imported: see
warroom/gcpause.py.
"""

from warroom import gcpause

gcpause.hold()

from warroom.cli import main  # noqa: E402  (after the hold, on purpose)

if __name__ == "__main__":
    main()
