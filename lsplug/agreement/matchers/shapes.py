"""The bundled ``shapes`` agreement matcher: boxes (rotated too), polygons and ellipses.

Hooks implemented: :func:`lsplug_agreement_matchers`. Shapes pair one to one by an optimal
assignment over those whose intersection over union in pixels (:mod:`.polygons`) is at
least the project"s ``threshold``; a pair agrees when the labels are the same.
"""

from __future__ import annotations

from lsplug.agreement.matchers import regions
from lsplug.hooks import AgreementMatcher, hookimpl

MATCHER = AgreementMatcher(
    name="shapes",
    types=(
        "rectangle",
        "rectanglelabels",
        "polygon",
        "polygonlabels",
        "ellipse",
        "ellipselabels",
    ),
    match=regions.match,
    prepare=regions.prepare,
    description="Boxes (rotated too), polygons and ellipses, by intersection over union.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``shapes`` matcher."""
    return [MATCHER]
