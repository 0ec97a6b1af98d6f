"""One module per page, each running ``render(page_context())`` when the router executes it.

Not named ``pages/``: Streamlit auto-discovers a ``pages/`` folder next to the entry point
(multipage v1) and would route every file in it to every viewer, bypassing the per-role
``st.navigation`` (checked with AppTest: a member reached the framework page).
"""
