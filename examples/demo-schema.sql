-- Example schema for scripts/demo. users, orders and audit.log_entries are the tables the demo
-- lists in CRITICAL_TABLES; audit shows a schema-qualified critical table.

CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email      text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  placed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE SCHEMA audit;

CREATE TABLE audit.log_entries (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT now(),
  actor  text NOT NULL,
  action text NOT NULL
);

INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com');
INSERT INTO orders (user_id, total_cents) VALUES (1, 1299), (2, 4500);
INSERT INTO audit.log_entries (actor, action) VALUES ('demo', 'schema loaded');
