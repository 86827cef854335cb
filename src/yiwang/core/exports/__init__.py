"""Exports built in the background: a generic job that any app's export can run in.

Why here, and why a registry: `core` knows no domain app, yet the job must run a
domain query (the case search) with the domain's columns. So the job stores only a
``kind`` and JSON ``filters``; the app that owns the data registers an *exporter* under
that kind when Django starts (``cases`` does it in its ``AppConfig.ready``). The worker,
which runs ``django.setup()`` like the web process, finds the same registry. An exporter
takes the requesting user and the filters and returns the headers, the row count and a
lazy row iterator — starting from the app's scoped ``queries``, so the job re-applies the
user's scope (as it is when the job runs, not when it was asked for).

Modules: `registry` (exporters by kind), `actions` (the only writes: request, run, record a
download, prune), `queries` (a user's own jobs), `tasks` (what `yiwang worker` runs).
Small exports stay immediate in the request; see `EXPORT_IMMEDIATE_ROWS` in settings.
"""
