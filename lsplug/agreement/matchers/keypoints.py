"""The bundled ``keypoints`` agreement matcher: key points on an image.

Hooks implemented: :func:`lsplug_agreement_matchers`. Points pair one to one by an optimal
assignment over those at most the project"s ``distance`` (a share of the image diagonal,
:mod:`.points`) apart; a pair agrees when the labels are the same.
"""

from __future__ import annotations

from lsplug.agreement.matchers import regions
from lsplug.hooks import AgreementMatcher, hookimpl

MATCHER = AgreementMatcher(
    name="keypoints",
    types=(
        "keypoint",
        "keypointlabels",
    ),
    match=regions.match,
    prepare=regions.prepare,
    description="Key points, by distance as a share of the image diagonal.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``keypoints`` matcher."""
    return [MATCHER]
