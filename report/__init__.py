"""The report card (PDF) of one organisation and period, and the network report for the committee.

Above ``store`` and ``metrics``, below ``dashboard``: ``card_data`` gathers through the scoped
reads of ``store.reads`` (never SQL), ``render`` lays out HTML/CSS for A4 and prints it with
WeasyPrint, ``charts`` draws with Plotly and exports with Kaleido, ``make`` records each
document's SHA-256 in the audit log. Command line: ``python -m report card|cards|network|verify``.
"""
