"""共同利用: many municipalities served by one installation of the code (docs/joint-use.md).

Each municipality keeps a database of its own (on PostgreSQL, with a role of its own that
cannot CONNECT to another's), its own data folder, keys and environment file, and its own
processes; the fleet command (`madoguchi fleet …`) creates, migrates, backs up, exports and
removes them, always by running madoguchi in the municipality's own environment — never by a
query across databases.
"""
