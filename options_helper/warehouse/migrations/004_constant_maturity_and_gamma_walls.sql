-- Constant-maturity skew and term slope (no jump when the front expiry rolls) and gamma-weighted
-- walls, next to the front-expiry and OI-weighted ones. Definitions: docs/metrics.md.

ALTER TABLE derived_metrics ADD COLUMN rr25_30d DOUBLE;
ALTER TABLE derived_metrics ADD COLUMN term_slope_30_90 DOUBLE;
ALTER TABLE derived_metrics ADD COLUMN call_wall_gamma DOUBLE;
ALTER TABLE derived_metrics ADD COLUMN put_wall_gamma DOUBLE;
