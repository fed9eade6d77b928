"""The bundled ``spans`` agreement matcher: text, hypertext, paragraph, audio, time series.

Hooks implemented: :func:`lsplug_agreement_matchers`. Spans pair one to one by an optimal
assignment over those whose overlap ratio (intersection over union of their character or
time intervals, :mod:`.intervals`) is at least the project"s ``threshold``; a pair agrees
when the labels are the same. A ``labels`` result on an image is compared as its region.
"""

from __future__ import annotations

from lsplug.agreement.matchers import regions
from lsplug.hooks import AgreementMatcher, hookimpl

MATCHER = AgreementMatcher(
    name="spans",
    types=(
        "labels",
        "hypertextlabels",
        "paragraphlabels",
        "timeserieslabels",
    ),
    match=regions.match,
    prepare=regions.prepare,
    description="Text, hypertext, paragraph, audio and time-series spans, by overlap ratio.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``spans`` matcher."""
    return [MATCHER]
