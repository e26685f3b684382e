"""`python -m warroom` and the installed `warroom` command (pyproject's entry point,
`warroom.__main__:main`: importing this module runs what follows, either way).

First, the process makes itself non-dumpable with no core limit (warroom/nodump.py):
it will hold the passphrase and plaintext. Then the garbage collector is held off
before the CLI and the core are imported: see warroom/gcpause.py.
"""

from warroom import nodump

nodump.disable_core_dumps()

from warroom import gcpause  # noqa: E402  (after the core limit, on purpose)

gcpause.hold()

from warroom.cli import main  # noqa: E402  (after the hold, on purpose)

if __name__ == "__main__":
    main()
