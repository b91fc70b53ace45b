# sitex: the exchange service (and the agents that trade against it), one image.
# The first stage compiles the matching core (setup.py, Cython) into a wheel with a C compiler;
# the image itself installs that wheel and carries no compiler.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py sitex.py README.md ./
COPY clearing/ clearing/
COPY exchange/ exchange/
COPY marketmakers/ marketmakers/
COPY api/ api/
COPY bench/ bench/
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
  && useradd --create-home sitex && mkdir /data && chown sitex /data
USER sitex
WORKDIR /home/sitex
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=12 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
CMD ["sitex", "serve", "--host", "0.0.0.0", "--port", "8000", "--journal", "/data/journal.db"]
