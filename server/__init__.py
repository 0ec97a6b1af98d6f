"""One ASGI server for Athar: the Streamlit dashboard (``st.App``), the read-only API and health, behind
security headers and token-free logs, served by uvicorn (``python -m server``).

The top floor, beside ``dashboard``: it reads through ``store`` with the same ``Viewer`` as the pages
and writes CSV through ``ingest.safe_write``; the dashboard never imports it.
"""
