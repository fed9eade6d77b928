"""Agreement between annotators: the per-task parts and the project figures built from them.

The matchers that pair two annotators' results live in :mod:`lsplug.agreement.matchers`
(bundled plugins of the ``lsplug_agreement_matchers`` hook family); :mod:`.parts` turns one
task's completions into additive parts; :mod:`.figures` sums parts into project figures with
bootstrap intervals; :mod:`.coefficients` holds the chance-corrected coefficients.
"""
