-- Results arrive roughly in time order, so a BRIN index finds the old ones
-- PruneResults deletes as well as the B-tree did, at a fraction of the cost:
-- the B-tree took an entry per result, written on every insert, the BRIN
-- index a summary per range of pages (summarized as ranges fill).
DROP INDEX results_at_idx;
CREATE INDEX results_at_brin ON results USING brin (at) WITH (autosummarize = on);
