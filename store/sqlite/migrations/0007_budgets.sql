-- Budgets (gateway.Budget), one JSON document each; loaded with the state into every replica.
CREATE TABLE budgets (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
