"""Local JSON files (portfolio, watchlists): validated loads and atomic writes."""
