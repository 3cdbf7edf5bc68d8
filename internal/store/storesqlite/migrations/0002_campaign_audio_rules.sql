-- Per-campaign audio rules: recordings outside them are rejected with the rule named.
ALTER TABLE campaigns ADD COLUMN min_duration_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN max_duration_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN required_channels INTEGER NOT NULL DEFAULT 0;
