"""The committee's "back up now" on the Audit page: the same ``store.backup.back_up`` as
``python -m store backup``, run inside the app's own process (on DuckDB no other process can read the
file while the app holds it), audited, written to ``store.backup.backup_dir``."""

from __future__ import annotations

import streamlit as st

from dashboard.context import PageContext
from store import backup


def show(ctx: PageContext) -> None:
    """A button for the steering committee only; the result (folder and manifest hash) under it."""
    if ctx.viewer.role != "steering":
        return
    with st.expander(ctx.t("backup.title")):
        st.caption(ctx.t("backup.help", folder=str(backup.backups_root(ctx.store))))
        if st.button(ctx.t("backup.button"), key="backup_now"):
            try:
                done = backup.back_up(ctx.store, backup.backup_dir(ctx.store), ctx.actor)
            except backup.BackupError as exc:
                st.error(exc.message(ctx.lang))
                return
            st.success(ctx.t("backup.done", out=done["out"], tables=ctx.num(len(done["tables"])),
                             raw=ctx.num(len(done["raw_files"]))))
            st.code(done["manifest_sha256"], language=None)
