"""The control plane: run ledger, watermarks, data-quality checks, health and gap queries."""
