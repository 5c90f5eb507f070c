-- 0001_core: sources and their keys, people, requests with their approval
-- steps and assignments, delegations, the audit log and the job queue.
--
-- Conventions: ids are uuid (gen_random_uuid, core since PG 13) for things
-- that appear in URLs, bigint identities for internal rows; every status or
-- enum column has a CHECK; times are timestamptz; secrets are stored only
-- encrypted (*_enc, crypto.h format, key id inside) or hashed (*_hash).
-- Slack connection columns (connection_id) get their foreign keys in 0002.
-- Migrations run inside a transaction: no BEGIN/COMMIT here.

-- Keeps updated_at honest whoever writes the row.
CREATE FUNCTION hub_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

-- ------------------------------------------------------------ sources
-- A system of record (Workday, Jira, ...) and its delivery defaults.
-- NULL defaults inherit the global settings.
CREATE TABLE sources (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name			text NOT NULL UNIQUE
				CHECK (length(name) BETWEEN 1 AND 100),
	description		text,
	connection_id		uuid,
	default_channel		text,
	delivery_mode		text
				CHECK (delivery_mode IN ('dm', 'group_dm', 'channel', 'both')),
	default_rule		text NOT NULL DEFAULT 'any'
				CHECK (default_rule IN ('any', 'all', 'quorum')),
	default_deadline	interval CHECK (default_deadline > interval '0'),
	default_reminder	interval CHECK (default_reminder >= interval '1 minute'),
	callback_url		text CHECK (callback_url ~ '^https?://'),
	callback_secret_enc	text,
	allow_self_approval	boolean NOT NULL DEFAULT false,
	reason_required		boolean NOT NULL DEFAULT false,
	editable_fields		jsonb NOT NULL DEFAULT '[]'
				CHECK (jsonb_typeof(editable_fields) = 'array'),
	templates		jsonb NOT NULL DEFAULT '{}'
				CHECK (jsonb_typeof(templates) = 'object'),
	disabled		boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER sources_touch BEFORE UPDATE ON sources
	FOR EACH ROW EXECUTE FUNCTION hub_touch_updated_at();

-- An API key belongs to one source, or is an admin key (never both).
CREATE TABLE api_keys (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	source_id		uuid REFERENCES sources (id) ON DELETE CASCADE,
	is_admin		boolean NOT NULL DEFAULT false,
	name			text,
	prefix			text NOT NULL CHECK (length(prefix) BETWEEN 4 AND 32),
	key_hash		text NOT NULL UNIQUE,
	created_at		timestamptz NOT NULL DEFAULT now(),
	last_used_at		timestamptz,
	revoked_at		timestamptz,
	CHECK (is_admin = (source_id IS NULL))
);
CREATE INDEX api_keys_source ON api_keys (source_id);

-- ------------------------------------------------------------ people
CREATE TABLE users (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name			text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	email			text CHECK (email = lower(email)),
	slack_team_id		text,
	slack_user_id		text,
	role			text NOT NULL DEFAULT 'requester'
				CHECK (role IN ('admin', 'requester', 'viewer')),
	password_hash		text,
	disabled		boolean NOT NULL DEFAULT false,
	last_login_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_slack ON users (slack_team_id, slack_user_id)
	WHERE slack_user_id IS NOT NULL;
CREATE TRIGGER users_touch BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION hub_touch_updated_at();

-- Web sessions: only the hash of the cookie's token is stored.
CREATE TABLE sessions (
	token_hash		text PRIMARY KEY,
	user_id			uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token		text NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	last_seen_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL,
	user_agent		text,
	CHECK (expires_at > created_at)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Named approver groups of the hub.  A member is a Slack user id or an email.
CREATE TABLE groups (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name			text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
	description		text,
	created_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
	group_id		uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	member_kind		text NOT NULL CHECK (member_kind IN ('slack', 'email')),
	member_value		text NOT NULL CHECK (length(member_value) BETWEEN 1 AND 320),
	added_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (group_id, member_kind, member_value)
);
CREATE INDEX group_members_value ON group_members (member_value);

-- ------------------------------------------------------------ requests
CREATE TABLE requests (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	source_id		uuid NOT NULL REFERENCES sources (id) ON DELETE RESTRICT,
	external_id		text CHECK (length(external_id) BETWEEN 1 AND 200),
	idempotency_key		text,
	title			text NOT NULL DEFAULT '',
	requester_name		text NOT NULL,
	requester_email		text,
	requester_slack_id	text,
	requester_user_id	uuid REFERENCES users (id) ON DELETE SET NULL,
	justification		text NOT NULL DEFAULT '',
	metadata		jsonb NOT NULL DEFAULT '{}'
				CHECK (jsonb_typeof(metadata) = 'object'),
	status			text NOT NULL DEFAULT 'Pending'
				CHECK (status IN ('Pending', 'Approved', 'Rejected',
				    'Cancelled', 'Expired', 'Lapsed')),
	current_step		integer NOT NULL DEFAULT 1 CHECK (current_step >= 1),
	deadline		timestamptz,
	reminder_every		interval CHECK (reminder_every >= interval '1 minute'),
	next_reminder_at	timestamptz,
	valid_for		interval CHECK (valid_for > interval '0'),
	valid_until		timestamptz,
	callback_url		text CHECK (callback_url ~ '^https?://'),
	watchers		jsonb NOT NULL DEFAULT '[]'
				CHECK (jsonb_typeof(watchers) = 'array'),
	-- delivery overrides for every step (NULL: source default, then global)
	delivery_mode		text
				CHECK (delivery_mode IN ('dm', 'group_dm', 'channel', 'both')),
	connection_id		uuid,
	channel			text,
	ai_summary		text,
	risk_score		smallint CHECK (risk_score BETWEEN 0 AND 100),
	ai_analyzed_at		timestamptz,
	search			tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') ||
		setweight(to_tsvector('simple'::regconfig,
		    coalesce(requester_name, '') || ' ' || coalesce(external_id, '')), 'B') ||
		setweight(to_tsvector('english'::regconfig, coalesce(justification, '')), 'C') ||
		setweight(jsonb_to_tsvector('simple'::regconfig, metadata, '["string"]'), 'D')
	) STORED,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	decided_at		timestamptz,
	decided_by		text,
	decision_comment	text,
	UNIQUE (source_id, external_id)
);
CREATE UNIQUE INDEX requests_idempotency ON requests (source_id, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
-- listing, newest first, keyset (created_at, id)
CREATE INDEX requests_status_created ON requests (status, created_at DESC, id DESC);
CREATE INDEX requests_created ON requests (created_at DESC, id DESC);
CREATE INDEX requests_source_created ON requests (source_id, created_at DESC, id DESC);
CREATE INDEX requests_search ON requests USING gin (search);
CREATE INDEX requests_requester_email ON requests (requester_email)
	WHERE requester_email IS NOT NULL;
CREATE INDEX requests_requester_slack ON requests (requester_slack_id)
	WHERE requester_slack_id IS NOT NULL;
-- the worker's sweeps
CREATE INDEX requests_deadline_due ON requests (deadline)
	WHERE status = 'Pending' AND deadline IS NOT NULL;
CREATE INDEX requests_reminder_due ON requests (next_reminder_at)
	WHERE status = 'Pending' AND next_reminder_at IS NOT NULL;
CREATE INDEX requests_lapse_due ON requests (valid_until)
	WHERE status = 'Approved' AND valid_until IS NOT NULL;
CREATE TRIGGER requests_touch BEFORE UPDATE ON requests
	FOR EACH ROW EXECUTE FUNCTION hub_touch_updated_at();

-- Ordered steps; step k+1 becomes active when step k is approved.
CREATE TABLE request_steps (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	request_id		uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	position		integer NOT NULL CHECK (position BETWEEN 1 AND 50),
	rule			text NOT NULL DEFAULT 'any'
				CHECK (rule IN ('any', 'all', 'quorum')),
	quorum			integer CHECK (quorum >= 1),
	status			text NOT NULL DEFAULT 'waiting'
				CHECK (status IN ('waiting', 'active', 'approved',
				    'rejected', 'cancelled', 'expired')),
	delivery_mode		text
				CHECK (delivery_mode IN ('dm', 'group_dm', 'channel', 'both')),
	connection_id		uuid,
	channel			text,
	started_at		timestamptz,
	decided_at		timestamptz,
	UNIQUE (request_id, position),
	CHECK ((rule = 'quorum') = (quorum IS NOT NULL))
);

CREATE TABLE assignments (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	request_id		uuid NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	step_id			bigint NOT NULL REFERENCES request_steps (id) ON DELETE CASCADE,
	approver_kind		text NOT NULL
				CHECK (approver_kind IN ('slack', 'email', 'group')),
	approver_value		text NOT NULL
				CHECK (length(approver_value) BETWEEN 1 AND 320),
	-- Slack user this approver resolved to (lookupByEmail, group member)
	slack_user_id		text,
	status			text NOT NULL DEFAULT 'pending'
				CHECK (status IN ('pending', 'approved', 'rejected',
				    'skipped', 'reassigned')),
	decided_by		text,
	decided_at		timestamptz,
	comment			text,
	-- a delegate's own assignment points at the one it stands in for
	delegate_of		bigint REFERENCES assignments (id) ON DELETE CASCADE,
	reassigned_to		bigint REFERENCES assignments (id) ON DELETE SET NULL,
	created_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (status IN ('pending', 'reassigned') OR decided_at IS NOT NULL)
);
CREATE UNIQUE INDEX assignments_one_per_approver
	ON assignments (step_id, approver_kind, approver_value)
	WHERE delegate_of IS NULL AND status <> 'reassigned';
CREATE INDEX assignments_request ON assignments (request_id);
CREATE INDEX assignments_step ON assignments (step_id);
CREATE INDEX assignments_approver ON assignments (approver_value, status);
CREATE INDEX assignments_slack_user ON assignments (slack_user_id, status)
	WHERE slack_user_id IS NOT NULL;

-- An approver (Slack id or email) hands decisions to a delegate for a date
-- range, both ends inclusive.
CREATE TABLE delegations (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	approver_kind		text NOT NULL CHECK (approver_kind IN ('slack', 'email')),
	approver_value		text NOT NULL,
	delegate_kind		text NOT NULL CHECK (delegate_kind IN ('slack', 'email')),
	delegate_value		text NOT NULL,
	valid_from		date NOT NULL,
	valid_to		date NOT NULL,
	created_by		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	revoked_at		timestamptz,
	CHECK (valid_to >= valid_from),
	CHECK ((approver_kind, approver_value) <> (delegate_kind, delegate_value))
);
CREATE INDEX delegations_approver ON delegations (approver_value, valid_from, valid_to)
	WHERE revoked_at IS NULL;

-- Every transition: who, what, when, from where.  Kept when a request is
-- deleted (request_id becomes NULL, detail keeps the id).
CREATE TABLE audit_log (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	request_id		uuid REFERENCES requests (id) ON DELETE SET NULL,
	actor			text NOT NULL,
	action			text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
	detail			jsonb NOT NULL DEFAULT '{}'
				CHECK (jsonb_typeof(detail) = 'object'),
	via			text NOT NULL
				CHECK (via IN ('api', 'slack', 'web', 'worker', 'cli')),
	at			timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_request ON audit_log (request_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- ------------------------------------------------------------ job queue
-- See lib/jobs.h.  A dedupe key is unique among live (queued/running) jobs.
CREATE TABLE jobs (
	id			bigserial PRIMARY KEY,
	kind			text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,62}$'),
	payload			jsonb NOT NULL DEFAULT '{}',
	dedupe_key		text CHECK (length(dedupe_key) BETWEEN 1 AND 300),
	state			text NOT NULL DEFAULT 'queued'
				CHECK (state IN ('queued', 'running', 'done', 'failed')),
	run_at			timestamptz NOT NULL DEFAULT now(),
	attempts		integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts		integer NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
	deadline		timestamptz,
	locked_by		text,
	locked_until		timestamptz,
	started_at		timestamptz,
	last_error		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (state <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key)
	WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_lease ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (updated_at) WHERE state IN ('done', 'failed');

-- Wake listening workers when a job becomes runnable; delivered at commit,
-- duplicates within a transaction are folded by PostgreSQL.
CREATE FUNCTION hub_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('hub_jobs', NEW.kind);
	RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
	FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION hub_jobs_notify();
CREATE TRIGGER jobs_notify_requeue AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state <> 'queued')
	EXECUTE FUNCTION hub_jobs_notify();

CREATE TABLE job_attempts (
	job_id			bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	attempt			integer NOT NULL CHECK (attempt >= 1),
	worker			text,
	started_at		timestamptz,
	finished_at		timestamptz NOT NULL DEFAULT now(),
	ok			boolean NOT NULL,
	error			text,
	detail			text,
	PRIMARY KEY (job_id, attempt)
);
