"""Market data providers: the ``MarketDataProvider`` protocol, ``sim`` (default), ``yahoo``, ``alpaca``."""
