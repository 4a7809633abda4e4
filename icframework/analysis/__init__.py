"""From answers to reports: scores (pure functions on DataFrames), the city and convening reports, peer
matching and knowledge exchange, charts and the store summary."""
