"""Analyst review of risk flags: store, accounts, command line and web app.

A JPAU analyst opens the unit's sealed flag files (``ingest``), works through them in priority
order (``priority``), reads each traveller beside the watchlist entry (``flag_view``) and records a
disposition with a note (``store``); false positives become the cleared-traveller list screening
reads (``cleared``). Users sign in with local accounts or OpenID Connect (``accounts``, ``oidc``);
roles, units and the partner rule decide what each sees (``access``); the retention schedule of
rules/ depersonalises old travellers (``retention``). ``cli`` is ``paxshare review``; ``web`` the
web app with ``charts``, in English, French and Spanish (``i18n``).
No flag becomes an adverse action without a human disposition.

Modules are imported on use (no re-exports here), so ``paxshare review list`` does not load Flask.
"""
