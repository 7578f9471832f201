# syntax=docker/dockerfile:1
# The production image: `vmeste serve` by default; the Helm chart (charts/vmeste) runs
# `vmeste worker`, `vmeste scheduler` and `vmeste migrate` from it too.
#
#   docker build -t registry.example/vmeste:0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp -p 8000:8000 registry.example/vmeste:0.1.0
#
# Pin the base image by digest for reproducible builds:
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:… .
ARG PYTHON_IMAGE=python:3.11-slim

# --- 1. wheels of vmeste (with tracing) and of every dependency ---------------------------
FROM ${PYTHON_IMAGE} AS wheels
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY vmeste ./vmeste
# Every dependency ships manylinux wheels for CPython 3.11, so no compiler is needed;
# --only-binary makes a missing wheel fail the build rather than compile from source.
RUN pip wheel --wheel-dir /wheels --only-binary=:all: --no-binary=vmeste ".[otel]"

# --- 2. the runtime: the wheels only --------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp \
    VMESTE_DATA_DIR=/tmp/vmeste
# WeasyPrint typesets the hearings' protocols and conclusions with Pango, in DejaVu
# (Cyrillic), which fontconfig finds; nothing else of the system is needed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# The chart's uid and gid; numeric, so that Kubernetes can check runAsNonRoot.
RUN groupadd --system --gid 10001 vmeste \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home \
        --shell /usr/sbin/nologin vmeste
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "vmeste[otel]"
# Nothing outside /tmp is written: the root filesystem can be read-only.
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000 8001
ENTRYPOINT ["vmeste"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
