-- 0009_plan_indexes: indexes for statements that read a whole growing
-- table (t/integration/test_plans.py finds them on a grown hub).
--
-- A decision skips the decided assignment's delegate rows
-- (lib/approval/engine.c, ST_ASG_SKIP_DELEGATES: WHERE delegate_of = $1).
-- Without an index on delegate_of that read every pending assignment, so
-- a decision cost more with every request ever made.  Only delegate rows
-- have delegate_of set: the partial index stays small.
CREATE INDEX assignments_delegate_of ON assignments (delegate_of)
	WHERE delegate_of IS NOT NULL;
