"""The picking domain: orders, lines, scans, codes and the rules between them.

Pure Python. Nothing in this package touches the network, the database, the
clock or randomness; time and ids are passed in (a test enforces this).
"""
