"""Feature store: definitions applied to a Feast registry, point-in-time retrieval, online lookup.

Modules: ``refs`` (``view:feature`` references), ``definitions`` (the YAML under config/),
``registry`` (apply and materialize per environment), ``join`` (the point-in-time join as a
pure function), ``retrieval`` (historical retrieval backends), ``online`` (serving lookups).
Nothing is imported here, so a recipe can be validated without importing Feast.
"""
