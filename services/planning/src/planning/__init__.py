"""Planning: integration plans: periods, extensions and total-duration limits."""
