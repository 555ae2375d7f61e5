# techreg: `techreg serve` (or `techreg worker`, `techreg migrate`, any command) as a non-root user.
#   docker build -t techreg .                                  # on python:3.12-slim
#   docker build --build-arg BASE=my-debian-python -t techreg .  # any Debian with python3 (3.11/3.12) and venv
# Without TECHREG_DATABASE_URL it runs the embedded PostgreSQL in the volume (first start migrates);
# compose.yaml runs the deployment shape: PostgreSQL, migrate, the service and two workers.
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# where PyPI is reached through a TLS-inspecting proxy: its CA (PEM text), added to the base's bundle for pip
# in this stage only; the image that runs never holds it (scripts/container-check passes the host's locally
# added CAs, /usr/local/share/ca-certificates, when there are any)
ARG BUILD_CA_PEM=""
RUN python3 -m venv /opt/techreg \
 && { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null; printf '%s\n' "$BUILD_CA_PEM"; } > /tmp/build-ca.pem
WORKDIR /src
# the dependencies first, from pyproject.toml alone: a code change does not download them again
COPY pyproject.toml ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && if [ -s /tmp/build-ca.pem ]; then export PIP_CERT=/tmp/build-ca.pem; fi \
 && /opt/techreg/bin/pip install -r /tmp/requirements.txt
COPY README.md ./
COPY src ./src
COPY ml ./ml
# then the package (with ml/, the trainer the scheduled retraining runs), and nothing the running image
# does not need: pip itself, the embedded server's headers and static libraries, the libraries' test suites
RUN if [ -s /tmp/build-ca.pem ]; then export PIP_CERT=/tmp/build-ca.pem; fi \
 && /opt/techreg/bin/pip install --no-deps . \
 && /opt/techreg/bin/python -m pip uninstall -y -q pip setuptools wheel
RUN site=$(/opt/techreg/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
 && rm -rf "$site"/pgserver/pginstall/include "$site"/pgserver/pginstall/lib/*.a \
           "$site"/pgserver/pginstall/lib/pkgconfig \
 && find "$site"/numpy "$site"/scipy "$site"/sklearn -depth -type d -name tests -exec rm -rf {} + \
 && find /opt/techreg -name '*.pyi' -delete

FROM ${BASE}
# tini as PID 1: forwards SIGTERM to techreg and reaps the embedded server's processes; the CJK font the PDF
# certificate embeds (fonts-wqy-microhei); no other packages, and apt's lists and caches leave with the same layer
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini fonts-wqy-microhei \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
# the data folder exists and belongs to the service's user, so a new named volume starts owned by it
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin techreg \
 && mkdir -p /home/techreg/var \
 && chown techreg:techreg /home/techreg/var \
 && chmod 0700 /home/techreg/var
COPY --from=build /opt/techreg /opt/techreg
COPY migrations /app/migrations
COPY models /app/models
COPY docker/entrypoint docker/healthcheck /usr/local/bin/
ENV PATH=/opt/techreg/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TECHREG_MIGRATIONS_DIR=/app/migrations \
    TECHREG_SHIPPED_MODELS_DIR=/app/models \
    TECHREG_MODELS_DIR=/home/techreg/var/models \
    TECHREG_DATA_DIR=/home/techreg/var \
    TECHREG_WORKER_HEARTBEAT=/tmp/techreg-worker.heartbeat \
    TECHREG_HOST=0.0.0.0 \
    TECHREG_PORT=8000
VOLUME /home/techreg/var
USER techreg
WORKDIR /home/techreg
EXPOSE 8000
STOPSIGNAL SIGTERM
# the service: /health answers; a worker: its heartbeat (a database round trip every 30 s) is fresh
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["healthcheck"]
ENTRYPOINT ["tini", "--", "entrypoint"]
CMD ["techreg", "serve"]
