"""`manage.py bench_pages`: the main pages' query counts and timings, in process and under load.

pages: which pages, picked from the data; measure: in-process timing and query counting;
load: gunicorn + wrk; report: the Markdown tables. Used by the command only.
"""
