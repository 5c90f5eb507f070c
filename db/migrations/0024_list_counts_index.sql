-- 0024_list_counts_index: the counters of a narrowed dashboard list
-- (an approver, dates) read the status of up to 1 000 of its requests
-- (reqquery's COUNTQ), one probe of requests by id each.  Through the
-- primary key every probe reads a page of the requests heap (~1 kB a row
-- with the search document: a million requests do not stay in memory),
-- so counting a busy approver read 240 pages cold (0.6 s at 1 000 000
-- requests on a loaded machine).  With the status and the source in an
-- index on id the probe is an index-only scan of pages that hold ~200
-- requests each and stay cached.
CREATE INDEX requests_id_status ON requests (id) INCLUDE (status, source_id);
