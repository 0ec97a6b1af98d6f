"""The demo generator, one job per module (``generate.py`` next to this folder is its entry point).

- ``plan``: the seed, the years and the events planted on purpose (gaps, outliers, latecomers...)
- ``orgs``: the 40 fictional organisations and their names in French, Arabic and English
- ``indicators``: which indicators each organisation reports, quarterly or once a year
- ``values``: each organisation's hidden profile and the rows drawn from it
- ``notes``: notes and sources in the organisation's language
- ``styles``: how each organisation saves its files (CSV dialect, encoding, workbook, header language)
- ``render``: rows to the bytes of a CSV, text or XLSX file, as the member's software writes them
- ``uploads``: one organisation's rows grouped into dated uploads
- ``corrections``: corrected uploads and the two rejected ones with their fixed versions
- ``network``: the whole demo in memory, in load order, and what the store should hold afterwards
- ``write``: organizations.csv, manifest.csv and submissions/ on disk
"""
