-- STATS-BENCH.sql: the store crm_desk_stats was measured on (not built;
-- for the lead, with STATS-MAN.mdoc).  1,000,000 tickets a 30 s apart
-- from 2026-01-01 (one in 20 a parent without a queue, the next two its
-- subtasks), 5 events each (new, assigned, an agent's reply to pending,
-- the customer's answer back to open, solved; one in 50 the fourth an
-- `escalated' for a breach), 5,000,000 events written in time order.
-- Make the schema-9 store first with any crm_store_open() (an empty
-- `crm-route stats --db big.db'), then: sqlite3 big.db < STATS-BENCH.sql
-- (23 s).  Measured with a 15-line program calling crm_desk_stats(s,
-- NULL, "2027-01-01T00:00:00Z", ...) and crm_desk_stats_format().
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
BEGIN;
CREATE TEMP TABLE g AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
SELECT i, printf('T%07d', i) AS id,
  CASE WHEN i % 20 IN (2, 3) THEN printf('T%07d', i - (i % 20) + 1) END AS parent,
  CASE WHEN i % 20 = 1 THEN NULL ELSE 'q' || (i % 5) END AS queue,
  1767225600 + i * 30 AS c FROM n;
INSERT INTO tickets(ticket_id, parent_id, customer_id, priority, queue, skill, sla_due, assignee, status, routed, created, updated)
SELECT id, parent, 'C' || (i % 50000), 'normal', queue, NULL,
  strftime('%Y-%m-%dT%H:%M:%SZ', c + 28800, 'unixepoch'), 'a' || (i % 100),
  CASE WHEN i % 7 = 0 THEN 'open' ELSE 'solved' END,
  strftime('%Y-%m-%dT%H:%M:%SZ', c, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', c, 'unixepoch'),
  strftime('%Y-%m-%dT%H:%M:%SZ', c, 'unixepoch') FROM g ORDER BY i;
CREATE TEMP TABLE k(k, ev, fr, st, actor, off);
INSERT INTO k VALUES
 (1, 'state', NULL, 'new', 'crm-route', 0),
 (2, 'assigned', 'new', 'open', 'crm-route', 1),
 (3, 'reply', 'open', 'pending', 'agent', 2),
 (4, 'state', 'pending', 'open', 'customer', 3),
 (5, 'state', 'open', 'solved', 'agent', 4);
INSERT INTO ticket_events(time, ticket_id, event, from_state, state, actor, reason)
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', g.c + CASE k.k WHEN 1 THEN 0 ELSE (k.k - 1) * ((g.i * 7919) % 14400) END, 'unixepoch'),
  g.id, k.ev, k.fr, k.st, CASE WHEN k.actor = 'agent' THEN 'a' || (g.i % 100) ELSE k.actor END,
  CASE WHEN g.i % 50 = 7 AND k.k = 4 THEN 'SLA breached x' END
FROM g, k ORDER BY 1;
UPDATE ticket_events SET event = 'escalated' WHERE reason IS NOT NULL;
COMMIT;
