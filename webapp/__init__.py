"""The Mini App: a globe to pick countries, its API and its launch-data check."""
