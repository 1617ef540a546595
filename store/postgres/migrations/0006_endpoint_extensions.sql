-- llmgate's additions to Domino's endpoint that have no column of their own (pricing, ...),
-- as one JSON object.
ALTER TABLE endpoints ADD COLUMN extensions TEXT NOT NULL DEFAULT '{}';
