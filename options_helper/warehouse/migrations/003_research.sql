-- Research products: contract-level OI flow and per-symbol derived metrics.

CREATE TABLE options_flow (
    symbol                VARCHAR   NOT NULL,
    session               DATE      NOT NULL,
    prev_session          DATE      NOT NULL,
    contract_symbol       VARCHAR   NOT NULL,
    expiry                DATE      NOT NULL,
    strike                DOUBLE    NOT NULL,
    option_type           VARCHAR   NOT NULL,
    dte                   INTEGER,
    spot                  DOUBLE,
    mark                  DOUBLE,
    delta                 DOUBLE,
    oi_prev               DOUBLE,
    oi                    DOUBLE,
    delta_oi              DOUBLE,
    volume                DOUBLE,
    volume_prev           DOUBLE,
    volume_notional_usd   DOUBLE,
    delta_oi_notional_usd DOUBLE,
    delta_notional_usd    DOUBLE,
    flow_class            VARCHAR   NOT NULL,
    gap                   BOOLEAN   NOT NULL,
    computed_at           TIMESTAMP NOT NULL
);

CREATE TABLE derived_metrics (
    symbol                     VARCHAR   NOT NULL,
    session                    DATE      NOT NULL,
    spot                       DOUBLE,
    put_call_oi_ratio          DOUBLE,
    put_call_volume_ratio      DOUBLE,
    call_wall                  DOUBLE,
    put_wall                   DOUBLE,
    max_pain                   DOUBLE,
    max_pain_expiry            DATE,
    net_gex_usd_per_1pct       DOUBLE,
    zero_gamma_spot            DOUBLE,
    atm_iv                     DOUBLE,
    atm_iv_expiry              DATE,
    iv30                       DOUBLE,
    expected_move_straddle_usd DOUBLE,
    expected_move_iv30_usd     DOUBLE,
    risk_reversal_25d          DOUBLE,
    rv20                       DOUBLE,
    rv60                       DOUBLE,
    rv20_parkinson             DOUBLE,
    iv_rv_ratio                DOUBLE,
    iv_rank_pct                DOUBLE,
    iv_percentile_pct          DOUBLE,
    term_slope                 DOUBLE,
    provider                   VARCHAR   NOT NULL,
    simulated                  BOOLEAN   NOT NULL,
    computed_at                TIMESTAMP NOT NULL
);

CREATE TABLE derived_gex_by_strike (
    symbol                 VARCHAR NOT NULL,
    session                DATE    NOT NULL,
    strike                 DOUBLE  NOT NULL,
    call_gex_usd_per_1pct  DOUBLE,
    put_gex_usd_per_1pct   DOUBLE,
    net_gex_usd_per_1pct   DOUBLE
);
