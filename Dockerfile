# storepick: the app with its system libraries. SQLite by default (mount /data),
# PostgreSQL when DATABASE_URL says so. No network access is needed at run time.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STOREPICK_ENV=production \
    STOREPICK_DATA_DIR=/data \
    DATABASE_URL=sqlite+aiosqlite:////data/storepick.db

# libzbar0 for pyzbar (no recommends: they drag in ImageMagick).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzbar0 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 storepick \
 && mkdir -p /data && chown storepick /data
WORKDIR /srv/storepick

COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY --chown=storepick . .
USER storepick
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"

# Migrate, then serve. Refuses to start (and names the variable) until STOREPICK_SECRET_KEY and
# STOREPICK_OMS_SECRET hold real secrets of at least 32 characters.
CMD ["sh", "-c", "python -m app migrate && python -m app serve --host 0.0.0.0 --port 8000"]
