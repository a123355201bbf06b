# The pipeline runner: `python runner.py schedule` runs the pipeline on an interval.
# Configuration (DSNs, passwords) comes from the environment at run time; nothing secret is in the image.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/var/lib/pipeline

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# A non-root user that owns only DATA_DIR; the code stays read-only to it.
RUN groupadd --system --gid 10001 pipeline \
    && useradd --system --uid 10001 --gid pipeline --home-dir /app --no-create-home --shell /usr/sbin/nologin pipeline \
    && mkdir -p "$DATA_DIR" \
    && chown pipeline:pipeline "$DATA_DIR"

COPY . .

USER 10001:10001

CMD ["python", "runner.py", "schedule"]
