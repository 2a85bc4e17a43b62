-- The rest of the hand-made store, as crm-dedupe, crm-tag, crm-churn,
-- crm-recommend and crm-route would write it (t117-person-360.sh).
-- Persons: C1 (records C1 and C7), C9 alone, and C5, merged into C1.
INSERT INTO clusters VALUES ('C1', 'C1', NULL, '2024-03-15T00:00:00Z'),
    ('C7', 'C1', 0.93, '2024-03-15T00:00:00Z'),
    ('C9', 'C9', NULL, '2024-03-15T00:00:00Z');
INSERT INTO persons VALUES ('C1', '2024-03-01T00:00:00Z',
    '2024-03-15T00:00:00Z', NULL,
    '{"name":"Li Wei","email":"li.wei@example.com","phone":"+8613800138000","city":"Shanghai"}',
    '{"name":"C1","email":"C1","phone":"C7","city":"C1"}'),
  ('C5', '2024-03-05T00:00:00Z', '2024-03-15T00:00:00Z', 'C1', NULL, NULL),
  ('C9', '2024-03-15T00:00:00Z', '2024-03-15T00:00:00Z', NULL,
    '{"name":"Zhang San","email":"zs@example.com","city":"Beijing"}',
    '{"name":"C9","email":"C9","city":"C9"}');
-- Tags: shanghai on both records (C7's first); an RFM segment each,
-- C1's the newer; a k-means cluster; a segment C1 left.
INSERT INTO tags VALUES ('C1', 'shanghai', 'city', '2024-03-01T00:00:00Z'),
    ('C7', 'shanghai', 'city', '2024-02-01T00:00:00Z'),
    ('C7', 'complainer', 'complaints', '2024-03-15T00:00:00Z'),
    ('C1', 'rfm:Champions', 'rfm', '2024-03-20T00:00:00Z'),
    ('C7', 'rfm:At Risk', 'rfm', '2024-03-01T00:00:00Z'),
    ('C1', 'kmeans:2', 'kmeans', '2024-03-20T00:00:00Z');
INSERT INTO tag_history VALUES ('C1', 'shanghai', '2024-03-01T00:00:00Z', NULL),
    ('C7', 'shanghai', '2024-02-01T00:00:00Z', NULL),
    ('C7', 'complainer', '2024-03-15T00:00:00Z', NULL),
    ('C1', 'rfm:New', '2024-02-01T00:00:00Z', '2024-03-20T00:00:00Z'),
    ('C1', 'rfm:Champions', '2024-03-20T00:00:00Z', NULL),
    ('C7', 'rfm:At Risk', '2024-03-01T00:00:00Z', NULL),
    ('C1', 'kmeans:2', '2024-03-20T00:00:00Z', NULL);
-- Churn: C7's score is the person's latest; recommendations for C1.
INSERT INTO decisions(time, tool, model, model_version, record_key,
    output, score, reasons, subject) VALUES
  ('2024-03-20T00:00:00Z', 'crm-churn', 'churn', 1, 'C1', 'low', 0.2,
    '[{"feature":"orders_90d","contribution":-0.3}]', 'C1'),
  ('2024-03-25T00:00:00Z', 'crm-churn', 'churn', 1, 'C7', 'high', 0.71,
    '[{"feature":"complaints_90d","contribution":0.4}]', 'C7'),
  ('2024-03-25T00:00:00Z', 'crm-churn', 'churn', 1, 'C9', 'low', 0.1,
    '[]', 'C9'),
  ('2024-03-26T00:00:00Z', 'crm-recommend', 'reco', 2, 'C1',
    '[{"item":"kettle","score":0.9},{"item":"teapot","score":0.5}]', NULL,
    NULL, 'C1');
-- Tickets: C7's open one, C1's waiting one (new: nobody has it), C1's
-- closed one.
INSERT INTO tickets(ticket_id, customer_id, priority, queue, skill,
    sla_due, assignee, status, routed, closed, created, updated) VALUES
  ('T1', 'C7', 'high', 'refunds', 'refund', '2024-03-26T10:00:00Z', 'ag1',
    'open', '2024-03-22T10:05:00Z', NULL, '2024-03-22T10:05:00Z',
    '2024-03-22T10:05:00Z'),
  ('T2', 'C1', 'normal', 'orders', 'order', '2024-03-21T09:00:00Z', 'ag2',
    'closed', '2024-03-20T09:05:00Z', '2024-03-20T12:00:00Z',
    '2024-03-20T09:05:00Z', '2024-03-20T12:00:00Z'),
  ('T3', 'C1', 'normal', 'orders', 'order', '2024-03-27T09:00:00Z', NULL,
    'new', '2024-03-24T09:05:00Z', NULL, '2024-03-24T09:05:00Z',
    '2024-03-24T09:05:00Z');
