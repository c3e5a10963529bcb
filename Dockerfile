# canipost: `canipost serve` (Slack, Teams, dashboard, /healthz, /readyz, /metrics) on $PORT.
#
#   docker build -t canipost .
#   docker run -p 8080:8080 -e DATABASE_URL=postgresql+psycopg://... -e CANIPOST_ENV=production \
#     -e SLACK_BOT_TOKEN=... -e SLACK_SIGNING_SECRET=... canipost
#
# Dependencies come from requirements.txt (pinned, generated from pyproject.toml: see
# docs/deploy.md), so a rebuild installs exactly what was tested. Two stages: the build
# stage has pip's caches and the source tree; the runtime image has only the virtualenv.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/canipost
# Dependencies first (their own layer, rebuilt only when requirements.txt changes) ...
COPY requirements.txt .
RUN sed '/^\.$/d' requirements.txt > /tmp/deps.txt \
 && /opt/canipost/bin/pip install -r /tmp/deps.txt
# ... then the app, as a wheel install: policy/, prompts/ and teams/ ship inside it.
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY policy ./policy
COPY prompts ./prompts
COPY teams ./teams
RUN /opt/canipost/bin/pip install --no-deps . \
 && /opt/canipost/bin/python -m compileall -q /opt/canipost

FROM python:${PYTHON_VERSION}-slim
# An unprivileged user with no login shell and no home to write to; the app writes nothing
# to disk (the database is DATABASE_URL).
RUN groupadd --system --gid 10001 canipost \
 && useradd --system --uid 10001 --gid canipost --no-create-home --shell /usr/sbin/nologin canipost
COPY --from=build /opt/canipost /opt/canipost
ENV PATH=/opt/canipost/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
# Liveness: the process answers /healthz (readiness, with the database, is /readyz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
# Migrations run at start (safe with many replicas: they take a lock); then serve.
CMD ["sh", "-c", "canipost db upgrade && exec canipost serve"]
