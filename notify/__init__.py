"""Reminders and notifications: e-mails through SMTP that carry the next step, and WhatsApp texts.

Above ``ingest`` and ``store`` (a reminder attaches the importer's pre-filled template and the
annotated copy of a rejected file, and reads and records through the store), below ``dashboard``.
``notify.mail`` talks SMTP (standard library only), ``notify.steps`` builds the attachments,
``notify.compose`` the words in the organisation's language, ``notify.remind`` decides who is due.
"""
