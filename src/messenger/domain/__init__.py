"""The messenger domain: entities, events, errors, ports and use cases.

Imports only the standard library (an import-linter contract keeps it so).
"""
