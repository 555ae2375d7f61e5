# techreg: multi-stage build, runs `techreg serve` as a non-root user.
# Configure with TECHREG_DATABASE_URL (and TECHREG_AUDIT_KEY, shared by all replicas).
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 techreg
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY migrations /app/migrations
COPY models /app/models
ENV TECHREG_MIGRATIONS_DIR=/app/migrations \
    TECHREG_MODELS_DIR=/app/models \
    TECHREG_DATA_DIR=/home/techreg/var \
    TECHREG_HOST=0.0.0.0 \
    TECHREG_PORT=8000
USER techreg
WORKDIR /home/techreg
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)" || exit 1
# the same image runs the scheduler: docker run … techreg worker (any number of replicas)
CMD ["techreg", "serve"]
