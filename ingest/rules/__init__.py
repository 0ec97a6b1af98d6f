"""Validation rules, one module per family, run in order by ``ingest.validate.validate_table``.

* ``layout`` — header → canonical columns, wide/long layout, second header line, split periods;
* ``shape`` — columns outside the layout, decimal commas taken for delimiters, short rows;
* ``not_data`` — repeated headers, total lines, remark lines, untouched template rows;
* ``codes`` — the coding of key columns shared by the row rules, Excel errors in code cells;
* ``organisations``, ``indicators``, ``periods``, ``values``, ``breakdowns`` — the cells of each;
* ``duplicates`` — a key repeated on a later line.

Every module's docstring names the issue codes (``ingest.issues.IssueCode``) it emits.
"""
