"""The bytes one request's task files may expand to, all of them together.

Why per request: a limit per archive let four zips of 250 x 1 MB members through one dry run
(1 MB sent, 2 GB of server memory). Every file of a request, and every member of every zip
in it, is taken from one budget (the setting ``max_expanded_mb``); a zip's members are taken
at the sizes they declare before any is expanded, so an oversized request is refused at
once.
"""

from __future__ import annotations

from lsplug.errors import TooLarge

MB = 1024 * 1024


class Budget:
    """What is left of a request's expanded bytes; `take` refuses going over with a 413."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int, name: str) -> None:
        """Count ``size`` bytes of ``name``; TooLarge naming the limit when over it."""
        self.used += size
        if self.used > self.limit:
            raise TooLarge(
                f"{name}: the task files of this request expand to more than {self.limit} "
                f"bytes in all (setting max_expanded_mb: {self.limit / MB:g} MB, zip members "
                "counted expanded); send fewer or smaller files, or raise the setting",
                limit=self.limit,
            )
