"""Running warroom under another interpreter (another OS user's /usr/bin/python3) with
this environment's packages: the multi-user and fault tests start it this way, since
the test's own venv may sit where other users cannot reach."""

from __future__ import annotations

BOOT = (
    "import runpy, site, sys\n"
    "end = sys.argv.index('--')\n"
    "for directory in sys.argv[1:end]:\n"
    "    site.addsitedir(directory)\n"
    "sys.argv = ['warroom', *sys.argv[end + 1:]]\n"
    "runpy.run_module('warroom', run_name='__main__', alter_sys=True)\n"
)
"""`python -c BOOT SITEDIR... -- ARGS...`: add each site dir, then run `warroom ARGS`."""
