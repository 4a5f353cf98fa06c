# Workflow Manager: one image for every process of the Procfile (`scripts/procfile web|worker|beat`);
# migrations run once before them (`flask --app app db upgrade`, compose's `migrate` service).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8050

WORKDIR /app
RUN useradd --create-home --uid 10001 workflow
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN mkdir -p instance/files && chown -R workflow:workflow instance

USER workflow
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz')"
CMD ["scripts/procfile", "web"]
