"""The bottom floor: what Athar measures, apart from how it reads, stores or scores it.

``model`` (the Pydantic framework: principles, indicators, units, breakdowns), ``vocabulary``
(text folding and the names the importer needs before the models load), ``periods`` (the one
period grammar), ``groups`` (peer groups and the small-group threshold) and ``edit`` (framework
edits as new versions). Nothing here imports another Athar package but ``i18n``.

Kept empty on purpose: ``framework.vocabulary`` must import without Pydantic (``ingest.prefetch``).
"""
