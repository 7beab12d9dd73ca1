"""The one configuration file as a frozen dataclass tree (``settings``), read and validated with every problem at
once (``load``, ``build``); opening hours (``hours``) are part of it."""
