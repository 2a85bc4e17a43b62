-- bench-route-sweep.sql: the store of bench-route.sh's sweep line, for
-- sqlite3 with parameters @n (tickets) and @asof (the sweep's time), on a
-- store crm-route made with its agents (bench-route.sh: 100 agents a000..
-- a099, each general and one of billing, logistics, accounts by its number
-- mod 3; every tenth also senior).  Ticket n, in open or new:
--   every 3331st breached (due within 2 h before @asof), half of them
--   with no agent; of the rest every 331st due within 30 min after
--   @asof, a third of them with no agent; the others due 30 min to 3 days
--   after; every 200th waiting with no agent.  Queues: 20% billing, 10%
--   logistics, 10% accounts, 60% general; an agent of the queue's skill.
-- Each ticket's routing as its events, the agents' loads counted from the
-- tickets, and 20 free places each.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < @n),
k AS (SELECT n, unixepoch(@asof) AS t0,
  CASE WHEN n % 3331 = 0 THEN 'b' WHEN n % 331 = 1 THEN 'w' ELSE 'f' END
    AS kind,
  CASE n % 10 WHEN 0 THEN 'billing' WHEN 1 THEN 'billing'
    WHEN 2 THEN 'logistics' WHEN 3 THEN 'accounts' ELSE 'general' END AS q
  FROM i),
w AS (SELECT *, (kind = 'b' AND n % 2 = 0) OR (kind = 'w' AND n % 3 = 0)
    OR n % 200 = 2 AS waiting,
  strftime('%Y-%m-%dT%H:%M:%SZ', t0 - 3600 - n % 86400, 'unixepoch') AS made
  FROM k)
INSERT INTO tickets(ticket_id, customer_id, priority, queue, skill, sla_due,
  assignee, status, routed, created, updated, lang)
SELECT printf('T%07d', n), printf('C%06d', n * 7 % 250000),
  'P' || (1 + n % 4), q, q,
  strftime('%Y-%m-%dT%H:%M:%SZ', t0 + CASE kind WHEN 'b' THEN -1 - n % 7200
    WHEN 'w' THEN 1 + n % 1799 ELSE 1800 + n * 7919 % 257400 END,
    'unixepoch'),
  CASE WHEN waiting THEN NULL
    ELSE printf('a%03d', CASE q WHEN 'billing' THEN 3 * (n / 10 % 34)
      WHEN 'logistics' THEN 3 * (n / 10 % 33) + 1
      WHEN 'accounts' THEN 3 * (n / 10 % 33) + 2 ELSE n % 100 END) END,
  CASE WHEN waiting THEN 'new' ELSE 'open' END, made, made, made,
  CASE n % 3 WHEN 0 THEN 'zh' ELSE 'en' END
FROM w;
INSERT INTO ticket_events(time, ticket_id, event, state, actor, reason)
  SELECT routed, ticket_id, 'state', 'new', 'crm-route', 'routed'
  FROM tickets ORDER BY routed, ticket_id;
INSERT INTO ticket_events(time, ticket_id, event, from_state, state, actor,
  value, reason)
  SELECT routed, ticket_id, 'assigned', 'new', 'open', 'crm-route',
  assignee, 'routed' FROM tickets WHERE assignee IS NOT NULL
  ORDER BY routed, ticket_id;
UPDATE agents SET load = (SELECT count(*) FROM tickets t
  WHERE t.assignee = agents.agent_id
  AND t.status IN ('open', 'pending', 'on-hold', 'reopened'));
UPDATE agents SET capacity = load + 20;
COMMIT;
PRAGMA journal_mode = WAL;
