# syntax=docker/dockerfile:1
# One image for every fleetwire process; the command picks the role:
#   docker run fleetwire ingress      webhooks on 8080, admin (/healthz /readyz /metrics) on 9108
#   docker run fleetwire process      a processor, admin on 9109
#   docker run fleetwire topics       create/apply the topics, then exit
# Configuration is by environment (docs/operations.md); the sources file is expected at
# /etc/fleetwire/sources/sources.toml (mount it from a secret).

# --- build: install fleetwire and its dependencies into a virtualenv ----------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/fleetwire
WORKDIR /src
# Dependencies first, so that code changes do not reinstall them.
COPY pyproject.toml README.md* ./
RUN /opt/fleetwire/bin/pip install . \
 && /opt/fleetwire/bin/pip uninstall -y fleetwire
COPY fleetwire ./fleetwire
COPY ingress ./ingress
COPY processors ./processors
COPY schemas ./schemas
RUN /opt/fleetwire/bin/pip install --no-deps . \
 && /opt/fleetwire/bin/python -c "import fleetwire.cli, ingress.main, processors.main"

# --- runtime: the virtualenv on a clean slim image, as an unprivileged user -----------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 fleetwire \
 && useradd --system --uid 10001 --gid fleetwire --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin fleetwire
COPY --from=build /opt/fleetwire /opt/fleetwire
ENV PATH=/opt/fleetwire/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLEETWIRE_LOG_FORMAT=json \
    FLEETWIRE_SOURCES=/etc/fleetwire/sources/sources.toml
USER 10001:10001
EXPOSE 8080 9108 9109
ENTRYPOINT ["fleetwire"]
CMD ["ingress"]
