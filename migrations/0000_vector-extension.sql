-- Custom migration (hand-written): drizzle does not create extensions. Runs before the tables.
CREATE EXTENSION IF NOT EXISTS vector;
