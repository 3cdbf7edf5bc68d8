-- Group commit: one row that the store's Syncer updates with
-- synchronous=FULL to make every commit before it durable at once.
CREATE TABLE durability_barrier (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO durability_barrier (id, n) VALUES (1, 0);
