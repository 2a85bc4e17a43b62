INSERT INTO link_labels(id1, id2, link, time, source)
    VALUES ('C3871021631', 'C4764869360', 'cannot', '2026-01-01', 't134');
INSERT INTO link_labels(id1, id2, link, time, source)
    VALUES ('C5772436999', 'C9968970008', 'cannot', '2026-01-01', 't134');
