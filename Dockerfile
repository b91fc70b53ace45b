# sitex: the exchange service (and the agents that trade against it), one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY clearing/ clearing/
COPY exchange/ exchange/
COPY marketmakers/ marketmakers/
COPY api/ api/
COPY bench/ bench/
RUN pip install . && useradd --create-home sitex && mkdir /data && chown sitex /data
USER sitex
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=2)"
CMD ["sitex", "serve", "--host", "0.0.0.0", "--port", "8000", "--journal", "/data/journal.db"]
