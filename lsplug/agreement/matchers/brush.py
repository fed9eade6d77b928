"""The bundled ``brush`` agreement matcher: brush masks in the editor"s RLE.

Hooks implemented: :func:`lsplug_agreement_matchers`. Masks pair one to one by an optimal
assignment over those whose pixels" intersection over union (:mod:`.masks`) is at least
the project"s ``threshold``; a pair agrees when the labels are the same.
"""

from __future__ import annotations

from lsplug.agreement.matchers import regions
from lsplug.hooks import AgreementMatcher, hookimpl

MATCHER = AgreementMatcher(
    name="brush",
    types=(
        "brush",
        "brushlabels",
    ),
    match=regions.match,
    prepare=regions.prepare,
    description="Brush masks (the editor's RLE), by intersection over union of pixels.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``brush`` matcher."""
    return [MATCHER]
