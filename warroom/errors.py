"""The error a user is shown as it is: one line, exit 2 on the command line, a
notification in the console.

Here, not in session.py, so that the store (which session.py imports) can raise
one: a full disk or a read-only file met while writing reaches every caller that
already catches SessionError, the console's included.
"""

from __future__ import annotations


class SessionError(Exception):
    """Bad input or a file that cannot be used; the message is for the user."""
