# syntax=docker/dockerfile:1
# One image for every fleetwire process; the command picks the role:
#   docker run fleetwire ingress      webhooks on 8080, admin (/healthz /readyz /metrics) on 9108
#   docker run fleetwire process      a processor, admin on 9109
#   docker run fleetwire poll         the poller of the pull sources, admin on 9110
#   docker run fleetwire topics       create/apply the topics, then exit
# Configuration is by environment (docs/operations.md); the sources file is expected at
# /etc/fleetwire/sources/sources.toml (mount it from a secret).

# --- build: exactly the locked set (uv.lock) into a virtualenv ------------------------------
FROM python:3.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    UV_PROJECT_ENVIRONMENT=/opt/fleetwire UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1
WORKDIR /src
# uv itself is pinned by hash; it then installs only what uv.lock names, by hash.
COPY requirements/uv.txt ./requirements/uv.txt
RUN pip install --require-hashes --target /opt/uv -r requirements/uv.txt
# Dependencies first, so that code changes do not reinstall them. --locked fails the build
# when pyproject.toml and uv.lock disagree instead of resolving anew.
COPY pyproject.toml uv.lock README.md ./
# The consumer client is a path source in uv.lock (the tests' extra): uv reads its metadata
# to check the lock, though the image does not install it.
COPY clients/python/pyproject.toml clients/python/README.md ./clients/python/
RUN /opt/uv/bin/uv sync --locked --no-editable --no-install-project --python /usr/local/bin/python
COPY fleetwire ./fleetwire
COPY ingress ./ingress
COPY processors ./processors
COPY schemas ./schemas
COPY providers ./providers
COPY commands ./commands
COPY poll ./poll
COPY localgeotab ./localgeotab
RUN /opt/uv/bin/uv sync --locked --no-editable --python /usr/local/bin/python \
 && /opt/fleetwire/bin/python -c "import commands.cli, ingress.main, processors.main, poll.main"

# --- runtime: the virtualenv on a clean slim image, as an unprivileged user -----------------
FROM python:3.13-slim-bookworm AS runtime
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
EXPOSE 8080 9108 9109 9110
ENTRYPOINT ["fleetwire"]
CMD ["ingress"]
