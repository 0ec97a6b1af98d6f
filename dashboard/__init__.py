"""The Streamlit dashboard: a thin router (``app.py``), one module per page, shared charts."""
