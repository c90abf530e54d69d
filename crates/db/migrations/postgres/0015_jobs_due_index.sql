-- The due pending jobs by time alone: the claim's "is anything due?" check
-- finds the first due job in O(log n) whatever the
-- priorities, instead of walking every pending job — a workspace with
-- thousands of waits scheduled days ahead keeps them all pending. Keep in
-- step with ../sqlite/0015_jobs_due_index.sql (a test compares them).
CREATE INDEX jobs_pending_run_at_idx ON jobs (run_at) WHERE state = 'pending';
