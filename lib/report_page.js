/*
 * report_page.js: the script of crm-report's HTML page (lib/report_html.c
 * links it in through lib/report_assets.S, after Vega, Vega-Lite and
 * vega-embed).  It does two things, both from what the page already holds:
 *
 *   - every table sorts when a heading is clicked (numbers by the value in
 *     their cell's data-v, text in the reader's collation, empty cells
 *     (class null) last), ascending first, then descending;
 *   - every table with a chart hint gets a Vega-Lite chart drawn from its
 *     own rows, read from the report's JSON (script#crm-report-data): one
 *     mark per row (a bar, a point of a line, a cell of a heatmap, a piece
 *     of a stacked bar), so the chart shows exactly the table's figures.
 *
 * When every chart has settled it writes what it drew into the page, for
 * a reader and for the browser test (t131), which reads the DOM back:
 * data-marks (marks drawn) and data-rows on each chart's element, and on
 * <body> data-charts ("done"), data-drawn and data-failed.  A chart that
 * fails is logged with console.error and marked data-error.
 *
 * No network: nothing is fetched (vega-embed's menu, which links to the
 * online editor, is off), and no clock or random number is read.
 */
(function () {
	'use strict';

	var FONT = 'system-ui, "Noto Sans", "Noto Sans CJK JP", sans-serif';

	/* ---- sortable tables ---- */

	function cellKey(td, numeric) {
		if (td.classList.contains('null'))
			return null;
		return numeric ? Number(td.getAttribute('data-v')) :
				 td.textContent;
	}

	function sortBy(table, th, col) {
		var body = table.tBodies[0];
		var numeric = th.getAttribute('data-type') === 'num';
		var desc = th.getAttribute('aria-sort') === 'ascending';
		var rows = Array.prototype.slice.call(body.rows);
		var collator = new Intl.Collator(undefined, { numeric: true });

		rows = rows.map(function (tr, i) {
			return { tr: tr, i: i, k: cellKey(tr.cells[col], numeric) };
		});
		rows.sort(function (a, b) {
			var c;

			if (a.k === null || b.k === null)
				c = (a.k === null) - (b.k === null);
			else {
				c = numeric ? a.k - b.k : collator.compare(a.k, b.k);
				if (desc)
					c = -c;
			}
			return c !== 0 ? c : a.i - b.i;
		});
		rows.forEach(function (r) {
			body.appendChild(r.tr);
		});
		Array.prototype.forEach.call(
		    table.tHead.rows[0].cells, function (h) {
			    h.setAttribute('aria-sort', 'none');
		    });
		th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
	}

	Array.prototype.forEach.call(
	    document.querySelectorAll('table.sortable'), function (table) {
		    Array.prototype.forEach.call(
			table.tHead.rows[0].cells, function (th, col) {
				th.querySelector('button').addEventListener(
				    'click', function () {
					    sortBy(table, th, col);
				    });
			});
	    });

	/* ---- charts ---- */

	var report = JSON.parse(
	    document.getElementById('crm-report-data').textContent);

	/* The encoding of column name in role x, y or color of chart t. */
	function channel(t, cols, name, role) {
		var c = cols[name];
		var e = { field: name, title: c.label };
		var num = c.type === 'int' || c.type === 'real' ||
			  c.type === 'share';
		var category = (role !== 'color' && t.chart.mark === 'heatmap') ||
			       (role === 'x' && t.chart.mark !== 'line') ||
			       (role === 'color' && t.chart.mark === 'stacked');
		var fmt = c.type === 'share' ? '.0%' :
			  c.type === 'int' ? ',d' : null;

		if (category) {
			/* Categories in the table's order (numbers ascending). */
			e.type = num ? 'ordinal' : 'nominal';
			if (!num)
				e.sort = null;
		} else if (c.type === 'date') {
			e.type = 'temporal';
			e.scale = { type: 'utc' };
			e.axis = { format: '%Y-%m-%d' };
		} else if (num) {
			e.type = 'quantitative';
			if (fmt !== null) {
				if (role === 'color')
					e.legend = { format: fmt };
				else
					e.axis = { format: fmt };
			}
		} else {
			e.type = 'nominal';
			e.sort = null;
		}
		return e;
	}

	function spec(t) {
		var cols = {}, values, enc, mark, s;

		t.columns.forEach(function (c) {
			cols[c.name] = c;
		});
		values = t.rows.map(function (row) {
			var o = {};

			t.columns.forEach(function (c, j) {
				o[c.name] = row[j];
			});
			return o;
		});
		enc = {
			x: channel(t, cols, t.chart.x, 'x'),
			y: channel(t, cols, t.chart.y, 'y'),
			tooltip: t.columns.map(function (c) {
				var tip = { field: c.name, title: c.label };

				if (c.type === 'share')
					tip.format = '.1%';
				else if (c.type === 'int')
					tip.format = ',d';
				if (c.type === 'int' || c.type === 'real' ||
				    c.type === 'share')
					tip.type = 'quantitative';
				else
					tip.type = 'nominal';
				return tip;
			})
		};
		if (t.chart.color !== null)
			enc.color = channel(t, cols, t.chart.color, 'color');
		mark = { bar: { type: 'bar' }, stacked: { type: 'bar' },
			line: { type: 'line', point: true },
			heatmap: { type: 'rect' } }[t.chart.mark];
		s = {
			description: t.title,
			data: { values: values },
			mark: mark,
			encoding: enc,
			config: { font: FONT }
		};
		/* Room for labels (CJK ones too): steps wider than Vega's. */
		if (t.chart.mark === 'line')
			s.width = 560;
		else
			s.width = { step: t.chart.mark === 'heatmap' ? 40 : 32 };
		if (t.chart.mark === 'heatmap')
			s.height = { step: 40 };
		return s;
	}

	/*
	 * The marks drawn in a scenegraph node: the items of every mark of
	 * role "mark" but lines and areas (one path for many rows).
	 */
	function marks(node) {
		var n = 0;

		if (node.marktype !== 'group')
			return node.role === 'mark' && node.marktype !== 'line' &&
				       node.marktype !== 'area' ?
				   node.items.length :
				   0;
		node.items.forEach(function (g) {
			(g.items || []).forEach(function (m) {
				n += marks(m);
			});
		});
		return n;
	}

	var pending = [];

	report.sections.forEach(function (sec) {
		sec.tables.forEach(function (t) {
			var el = document.getElementById('c-' + t.id);

			if (t.chart === null || el === null || t.rows.length === 0)
				return;
			el.setAttribute('data-rows', String(t.rows.length));
			pending.push(vegaEmbed(el, spec(t), {
				mode: 'vega-lite',
				renderer: 'svg',
				actions: false
			}).then(function (res) {
				el.setAttribute('data-marks',
				    String(marks(res.view.scenegraph().root)));
			}, function (err) {
				el.setAttribute('data-error', String(err));
				console.error('crm-report: chart ' + t.id + ': ' +
					      err);
				throw err;
			}));
		});
	});

	Promise.allSettled(pending).then(function (all) {
		var failed = all.filter(function (p) {
			return p.status === 'rejected';
		}).length;

		document.body.setAttribute('data-drawn',
		    String(all.length - failed));
		document.body.setAttribute('data-failed', String(failed));
		document.body.setAttribute('data-charts', 'done');
	});
})();
