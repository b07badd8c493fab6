"""WSGI entry point: gunicorn wsgi:app."""

import gc

from app import create_app

app = create_app()

# What start-up made (the app, its routes, SQLAlchemy's mappers, the catalogs) lives as long as
# the process: freeze it out of the collector's walks. A page allocates tens of thousands of
# short-lived objects (template output, rows), which with the default threshold of 700 start a
# young-generation collection many times per request; 10,000 lets most requests finish first
# (measured with bench/run.py: about 5% off the time of a page).
gc.freeze()
gc.set_threshold(10_000, 10, 10)
