-- bench-route-sweep-peer.sql: the peer of bench-route.sh's sweep line,
-- `crm-route sweep' written as plain SQL for sqlite3, with parameters
-- @asof (the sweep's time) and @warn (the warning window, seconds).  The
-- same selections, in the same order, and the same changes of tickets,
-- ticket_events and agents' loads; no audit rows and no notifications.
-- Each ticket's steps are a trigger on a temporary list, which SQLite runs
-- row by row in the list's order: an agent picked for one ticket has one
-- place less for the next, as in crm-route.
BEGIN IMMEDIATE;
CREATE TEMP TABLE cfg AS SELECT @asof AS asof,
  strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(@asof) + @warn, 'unixepoch')
    AS until;
CREATE TEMP TABLE todo(n INTEGER PRIMARY KEY, ticket_id TEXT, kind TEXT);

-- The agents with room, each with its skills (skill NULL: any), in the
-- order crm-route picks them: the least loaded for its capacity first.
CREATE TEMP VIEW room AS
  SELECT s.skill, a.agent_id, CAST(a.load AS REAL) / a.capacity AS busy,
    a.load FROM agent_skills s JOIN agents a ON a.agent_id = s.agent_id
  WHERE a.on_shift = 1 AND a.load < a.capacity
  UNION ALL SELECT NULL, agent_id, CAST(load AS REAL) / capacity, load
  FROM agents WHERE on_shift = 1 AND load < capacity;

-- The agent picked for a ticket: one more on its load, and the event.
CREATE TEMP TABLE pick(agent TEXT, ticket_id TEXT, reason TEXT);
CREATE TEMP TRIGGER picked AFTER INSERT ON pick
BEGIN
  UPDATE agents SET load = load + 1 WHERE agent_id = new.agent;
  INSERT INTO ticket_events(time, ticket_id, event, from_state, state,
    actor, value, reason)
  SELECT (SELECT asof FROM cfg), ticket_id, 'assigned', status,
    CASE status WHEN 'new' THEN 'open' ELSE status END, 'crm-route',
    new.agent, new.reason
  FROM tickets WHERE ticket_id = new.ticket_id;
END;

-- Breached: to the senior queue; a senior agent with room takes it over
-- from one who is not senior, or takes it when nobody has it.
CREATE TEMP TRIGGER breached AFTER INSERT ON todo WHEN new.kind = 'b'
BEGIN
  INSERT INTO ticket_events(time, ticket_id, event, from_state, state,
    actor, value, reason)
  SELECT (SELECT asof FROM cfg), ticket_id, 'escalated', status, status,
    'crm-route', 'senior', 'SLA breached at ' || sla_due
  FROM tickets WHERE ticket_id = new.ticket_id;
  DELETE FROM pick;
  INSERT INTO pick SELECT r.agent_id, ticket_id, 'SLA breached at ' || sla_due
    FROM room r, tickets t WHERE r.skill = 'senior'
    AND t.ticket_id = new.ticket_id AND NOT EXISTS (SELECT 1
      FROM agent_skills k WHERE k.agent_id = t.assignee
      AND k.skill = 'senior')
    ORDER BY r.busy, r.load, r.agent_id LIMIT 1;
  UPDATE agents SET load = load - 1 WHERE load > 0
    AND agent_id = (SELECT assignee FROM tickets
      WHERE ticket_id = new.ticket_id)
    AND EXISTS (SELECT 1 FROM pick);
  UPDATE tickets SET escalated = sla_due, queue = 'senior',
    skill = 'senior', updated = (SELECT asof FROM cfg),
    status = CASE WHEN status = 'new' AND EXISTS (SELECT 1 FROM pick)
      THEN 'open' ELSE status END,
    assignee = coalesce((SELECT agent FROM pick), assignee)
  WHERE ticket_id = new.ticket_id;
END;

-- Due within the window: one priority up; offered, when nobody has it,
-- to an agent of its skill with room, else to any agent with room.
CREATE TEMP TRIGGER due_soon AFTER INSERT ON todo WHEN new.kind = 'w'
BEGIN
  INSERT INTO ticket_events(time, ticket_id, event, from_state, state,
    actor, value, reason)
  SELECT (SELECT asof FROM cfg), ticket_id, 'priority', status, status,
    'crm-route', 'P' || (CAST(substr(priority, 2) AS INTEGER) - 1),
    'SLA due at ' || sla_due
  FROM tickets WHERE ticket_id = new.ticket_id AND priority > 'P1';
  DELETE FROM pick;
  INSERT INTO pick SELECT r.agent_id, ticket_id, 'SLA due at ' || sla_due
    FROM room r, tickets t WHERE t.ticket_id = new.ticket_id
    AND t.assignee IS NULL AND (r.skill = t.skill OR r.skill IS NULL)
    ORDER BY r.skill IS NULL, r.busy, r.load, r.agent_id LIMIT 1;
  UPDATE tickets SET warned = sla_due, updated = (SELECT asof FROM cfg),
    priority = CASE WHEN priority > 'P1'
      THEN 'P' || (CAST(substr(priority, 2) AS INTEGER) - 1)
      ELSE priority END,
    status = CASE WHEN status = 'new' AND EXISTS (SELECT 1 FROM pick)
      THEN 'open' ELSE status END,
    assignee = coalesce((SELECT agent FROM pick), assignee)
  WHERE ticket_id = new.ticket_id;
END;

-- Waiting: to an agent of its skill with room, while any agent has room.
CREATE TEMP TRIGGER waiting AFTER INSERT ON todo WHEN new.kind = 'q'
  AND EXISTS (SELECT 1 FROM agents WHERE on_shift = 1 AND load < capacity)
BEGIN
  DELETE FROM pick;
  INSERT INTO pick SELECT r.agent_id, ticket_id,
    'an agent with the skill had room'
    FROM room r, tickets t WHERE t.ticket_id = new.ticket_id
    AND r.skill = t.skill ORDER BY r.busy, r.load, r.agent_id LIMIT 1;
  UPDATE tickets SET updated = (SELECT asof FROM cfg),
    status = CASE status WHEN 'new' THEN 'open' ELSE status END,
    assignee = (SELECT agent FROM pick)
  WHERE ticket_id = new.ticket_id AND EXISTS (SELECT 1 FROM pick);
END;

-- The three lists, each read once its turn comes, as crm-route reads them.
INSERT INTO todo(ticket_id, kind) SELECT ticket_id, 'b' FROM tickets
  INDEXED BY tickets_due
  WHERE status IN ('new', 'open', 'reopened') AND queue IS NOT NULL
  AND sla_due <= (SELECT asof FROM cfg) AND escalated IS NOT sla_due
  ORDER BY sla_due, ticket_id;
INSERT INTO todo(ticket_id, kind) SELECT ticket_id, 'w' FROM tickets
  INDEXED BY tickets_due
  WHERE status IN ('new', 'open', 'reopened') AND queue IS NOT NULL
  AND sla_due > (SELECT asof FROM cfg) AND sla_due <= (SELECT until FROM cfg)
  AND warned IS NOT sla_due ORDER BY sla_due, ticket_id;
INSERT INTO todo(ticket_id, kind) SELECT ticket_id, 'q' FROM tickets
  WHERE status IN ('new', 'reopened') AND assignee IS NULL
  AND queue IS NOT NULL ORDER BY priority, sla_due, ticket_id;
COMMIT;
