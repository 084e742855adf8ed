"""The PostgreSQL store: for operators who outgrow one machine (several bot processes on
one database). TinyDB stays the default; both pass the same contract tests.

Its schema is created and migrated at start by numbered SQL files (`schema.migrate`).
"""
