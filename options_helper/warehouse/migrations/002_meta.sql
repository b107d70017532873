-- Control plane: run ledger, per-asset events, watermarks, data-quality check results.
-- IF NOT EXISTS keeps this idempotent so ensure_meta_schema() can re-run it safely.

CREATE SCHEMA IF NOT EXISTS meta;

CREATE TABLE IF NOT EXISTS meta.ingestion_runs (
    run_id            VARCHAR   PRIMARY KEY,
    parent_run_id     VARCHAR,
    job_name          VARCHAR   NOT NULL,
    triggered_by      VARCHAR   NOT NULL,  -- cli | cron | dagster | demo
    status            VARCHAR   NOT NULL,  -- running | success | partial | failed | abandoned
    started_at        TIMESTAMP NOT NULL,
    ended_at          TIMESTAMP,
    duration_ms       BIGINT,
    heartbeat_at      TIMESTAMP,
    pid               INTEGER,
    host              VARCHAR,
    provider          VARCHAR,
    storage_backend   VARCHAR,
    args_json         VARCHAR,
    app_version       VARCHAR,
    git_sha           VARCHAR,
    error_type        VARCHAR,
    error_message     VARCHAR,
    error_fingerprint VARCHAR
);
CREATE INDEX IF NOT EXISTS ingestion_runs_job_started ON meta.ingestion_runs (job_name, started_at);
CREATE INDEX IF NOT EXISTS ingestion_runs_status ON meta.ingestion_runs (status);

CREATE TABLE IF NOT EXISTS meta.ingestion_run_assets (
    run_id        VARCHAR   NOT NULL,
    asset_key     VARCHAR   NOT NULL,
    asset_kind    VARCHAR   NOT NULL,  -- table | file | report
    partition_key VARCHAR   NOT NULL,
    status        VARCHAR   NOT NULL,  -- success | failed | skipped
    rows_written  BIGINT    NOT NULL,
    bytes_written BIGINT    NOT NULL,
    file_path     VARCHAR,
    min_event_ts  TIMESTAMP,
    max_event_ts  TIMESTAMP,
    error_type    VARCHAR,
    error_message VARCHAR,
    extra_json    VARCHAR,
    recorded_at   TIMESTAMP NOT NULL
);
CREATE INDEX IF NOT EXISTS ingestion_run_assets_run ON meta.ingestion_run_assets (run_id);

CREATE TABLE IF NOT EXISTS meta.asset_watermarks (
    asset_key   VARCHAR   NOT NULL,
    scope_key   VARCHAR   NOT NULL,
    watermark   DATE      NOT NULL,  -- max data date actually written
    updated_at  TIMESTAMP NOT NULL,
    last_run_id VARCHAR,
    PRIMARY KEY (asset_key, scope_key)
);

CREATE TABLE IF NOT EXISTS meta.asset_checks (
    check_id      VARCHAR   PRIMARY KEY,
    asset_key     VARCHAR   NOT NULL,
    partition_key VARCHAR   NOT NULL,
    check_name    VARCHAR   NOT NULL,
    severity      VARCHAR   NOT NULL,  -- warn | error
    status        VARCHAR   NOT NULL,  -- pass | fail | error | skip
    checked_at    TIMESTAMP NOT NULL,
    metrics_json  VARCHAR,
    message       VARCHAR,
    run_id        VARCHAR
);
CREATE INDEX IF NOT EXISTS asset_checks_asset ON meta.asset_checks (asset_key, check_name, partition_key);
