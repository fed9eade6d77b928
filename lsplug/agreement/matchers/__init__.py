"""The bundled agreement matchers, registered through entry points like a third party's.

Plugin modules (each implements :func:`lsplug_agreement_matchers`): :mod:`.choices`
(choices, taxonomy), :mod:`.values` (rating, number, datetime), :mod:`.spans` (text,
hypertext, paragraph, audio and time-series regions), :mod:`.shapes` (boxes, polygons,
ellipses), :mod:`.brush` (brush masks), :mod:`.keypoints`, :mod:`.textarea`. The others are
their toolkit: :mod:`.marks` (labels and values), :mod:`.assign` (optimal one-to-one
pairing), :mod:`.regions` (reading and comparing regions of any kind), :mod:`.intervals`,
:mod:`.polygons`, :mod:`.masks`, :mod:`.points`. They import only :mod:`lsplug.hooks` of the
core.
"""
