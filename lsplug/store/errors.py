"""What the store refuses, the same on every back-end."""

from __future__ import annotations


class SchemaTooNew(RuntimeError):
    """The database was written by a newer lsplug than this one."""
