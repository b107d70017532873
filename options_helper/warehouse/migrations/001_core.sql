-- Core market data tables. Keys are enforced by the writers (delete-then-insert of a scope in
-- one transaction) and verified by data-quality checks; no ART indexes so bulk loads stay fast.

CREATE TABLE candles_daily (
    symbol       VARCHAR   NOT NULL,
    session      DATE      NOT NULL,
    open         DOUBLE    NOT NULL,
    high         DOUBLE    NOT NULL,
    low          DOUBLE    NOT NULL,
    close        DOUBLE    NOT NULL,
    volume       BIGINT    NOT NULL,
    provider     VARCHAR   NOT NULL,
    ingested_at  TIMESTAMP NOT NULL
);

CREATE TABLE option_contracts (
    contract_symbol VARCHAR   NOT NULL,
    underlying      VARCHAR   NOT NULL,
    expiry          DATE      NOT NULL,
    strike          DOUBLE    NOT NULL,
    option_type     VARCHAR   NOT NULL,  -- call | put
    status          VARCHAR   NOT NULL,  -- active | expired, as of last_seen
    first_seen      DATE      NOT NULL,
    last_seen       DATE      NOT NULL,
    provider        VARCHAR   NOT NULL
);

CREATE TABLE options_bars (
    contract_symbol VARCHAR   NOT NULL,
    underlying      VARCHAR   NOT NULL,
    session         DATE      NOT NULL,
    open            DOUBLE    NOT NULL,
    high            DOUBLE    NOT NULL,
    low             DOUBLE    NOT NULL,
    close           DOUBLE    NOT NULL,
    volume          BIGINT    NOT NULL,
    trade_count     BIGINT,
    vwap            DOUBLE,
    provider        VARCHAR   NOT NULL,
    ingested_at     TIMESTAMP NOT NULL
);

-- Per contract: the session range whose bars have been fetched, so ingestion resumes
-- instead of re-fetching. complete = the contract expired and was fetched through expiry.
CREATE TABLE options_bars_progress (
    contract_symbol VARCHAR NOT NULL PRIMARY KEY,
    underlying      VARCHAR NOT NULL,
    fetched_from    DATE    NOT NULL,
    fetched_through DATE    NOT NULL,
    complete        BOOLEAN NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE options_snapshots (
    symbol      VARCHAR   NOT NULL,
    data_date   DATE      NOT NULL,
    path        VARCHAR   NOT NULL,  -- relative to the data dir
    rows        BIGINT    NOT NULL,
    bytes       BIGINT    NOT NULL,
    expiries    INTEGER   NOT NULL,
    spot        DOUBLE    NOT NULL,
    provider    VARCHAR   NOT NULL,
    simulated   BOOLEAN   NOT NULL,
    written_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (symbol, data_date)
);
