"""Analyst review of risk flags: store, command line and web app.

A JPAU analyst opens the unit's sealed flag files (``ingest``), works through them in priority
order (``priority``), reads each traveller beside the watchlist entry (``flag_view``) and records a
disposition with a note (``store``); false positives become the cleared-traveller list screening
reads (``cleared``). ``cli`` is ``paxshare review``; ``web`` the local web app with ``charts``.
No flag becomes an adverse action without a human disposition.

Modules are imported on use (no re-exports here), so ``paxshare review list`` does not load Flask.
"""
