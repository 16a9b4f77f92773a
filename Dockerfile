# The CQP application image: web (gunicorn), Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

# PYTHONPATH: run the code in /app, where settings find templates/, static/ and locale/, not
# the copy that `pip install .` leaves in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cqp.settings \
    PYTHONPATH=/app

# WeasyPrint's libraries (Pango, HarfBuzz subsetting) and fonts for the PDFs; gettext to
# compile the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 \
        gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 cqp \
    && useradd --system --uid 1000 --gid cqp --home-dir /app --shell /usr/sbin/nologin cqp

WORKDIR /app
COPY . /app

# The code stays root-owned; the app user writes only media/ (uploads, generated PDFs) and
# staticfiles/ (refreshed at each start by the migrate service of docker-compose.yml).
RUN pip install . \
    && rm -rf build *.egg-info \
    && python manage.py compilemessages \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-at-build-time-only-not-a-secret \
        python manage.py collectstatic --no-input \
    && mkdir -p /app/media \
    && chown -R cqp:cqp /app/media /app/staticfiles

USER cqp
EXPOSE 8000

CMD ["gunicorn", "cqp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
