-- The board's column totals (count and sum per stage and currency) read
-- only this index instead of the deals rows: measured 9-40 ms -> 1 ms with
-- 10,000 deals in a pipeline.
CREATE INDEX deals_totals_idx ON deals (workspace_id, pipeline_id, stage_id, currency, value_minor);
