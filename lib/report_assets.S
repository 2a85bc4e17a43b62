/*
 * What crm-report's HTML carries besides the report (lib/report_html.c):
 * Vega, Vega-Lite and vega-embed (their minified browser builds, from
 * third_party/vega, see its README) and the page's own script and style
 * (lib/report_page.js, .css), linked in as read-only bytes so that the
 * binary writes one self-contained file and needs no file beside it.
 * Each blob is NAME .. NAME_end; the Makefile assembles this from the
 * top of the tree (-Wa,-I).
 */
	.section .rodata
	.globl crm_report_vega_js, crm_report_vega_js_end
crm_report_vega_js:
	.incbin "third_party/vega/vega/vega.min.js"
crm_report_vega_js_end:
	.globl crm_report_vegalite_js, crm_report_vegalite_js_end
crm_report_vegalite_js:
	.incbin "third_party/vega/vega-lite/vega-lite.min.js"
crm_report_vegalite_js_end:
	.globl crm_report_embed_js, crm_report_embed_js_end
crm_report_embed_js:
	.incbin "third_party/vega/vega-embed/vega-embed.min.js"
crm_report_embed_js_end:
	.globl crm_report_page_js, crm_report_page_js_end
crm_report_page_js:
	.incbin "lib/report_page.js"
crm_report_page_js_end:
	.globl crm_report_page_css, crm_report_page_css_end
crm_report_page_css:
	.incbin "lib/report_page.css"
crm_report_page_css_end:
	.section .note.GNU-stack,"",@progbits
