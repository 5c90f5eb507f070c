-- 0030_plpgsql_helpers: two SQL-language helpers become PL/pgSQL, same
-- arguments, same answers.
--
-- PostgreSQL inlines a LANGUAGE sql function only when its body is a
-- plain expression; hub_is_requester's has sub-selects and
-- hub_counter_add's is an INSERT, so neither is inlined.  A SQL function
-- that is not inlined is parsed and planned again for every statement
-- that calls it (PostgreSQL 15 keeps no plan for it between statements):
-- pg_stat_statements counted one plan of hub_is_requester per decision
-- (0.7 ms, more than the decision's lookup itself) and one plan of the
-- metric insert per counted delivery.  PL/pgSQL keeps the plans of its
-- statements for the life of the connection.

-- Is the person (kind, value) the requester (email r_email, Slack ids
-- r_slack and r_resolved)?  As in 0016.
CREATE OR REPLACE FUNCTION hub_is_requester(kind text, value text, r_email text,
    r_slack text, r_resolved text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_variable
BEGIN
	RETURN coalesce(CASE kind
	WHEN 'slack' THEN value = r_slack OR value = nullif(r_resolved, '')
	    OR EXISTS (SELECT 1 FROM users u WHERE u.email = lower(r_email)
		AND u.slack_user_id = value)
	    OR EXISTS (SELECT 1 FROM slack_user_cache c WHERE c.email = lower(r_email)
		AND c.slack_user_id = value)
	WHEN 'email' THEN lower(value) = lower(r_email)
	    OR EXISTS (SELECT 1 FROM users u WHERE u.email = lower(value)
		AND (u.slack_user_id = r_slack OR u.slack_user_id = nullif(r_resolved, '')))
	    OR EXISTS (SELECT 1 FROM slack_user_cache c WHERE c.email = lower(value)
		AND (c.slack_user_id = r_slack OR c.slack_user_id = nullif(r_resolved, '')))
	END, false);
END
$$;

-- As in 0022.
CREATE OR REPLACE FUNCTION hub_counter_add(p_name text, p_labels jsonb, p_by bigint DEFAULT 1)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO metric_deltas (name, labels, delta) VALUES (p_name, p_labels, p_by);
END
$$;
