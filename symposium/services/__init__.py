"""Business rules: plain functions that take the database session. No HTTP here."""
