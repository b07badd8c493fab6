"""WSGI entry point: gunicorn wsgi:app."""

import gc

from app import create_app

app = create_app()

# What start-up made (the app, its routes, SQLAlchemy's mappers, the catalogs) lives as long as
# the process: freeze it out of the collector's walks. A page allocates tens of thousands of
# short-lived objects (template output, rows), which with the default threshold of 700 start a
# young-generation collection many times per request; 10,000 lets most requests finish first.
# Measured with bench/run.py (6 s per page): /audit 387 -> 412 requests/s and p95 46 -> 41 ms,
# the week view 446 -> 473 requests/s and p95 41 -> 35 ms; pages with less output gain ~1%.
gc.freeze()
gc.set_threshold(10_000, 10, 10)
