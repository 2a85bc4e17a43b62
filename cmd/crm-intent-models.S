/*
 * The built-in models of crm-intent, trained by make from testdata/intent
 * (see the Makefile) and linked in as read-only bytes, so that the binary
 * needs no files beside it.
 */
	.section .rodata
	.balign 16
	.globl crm_builtin_intent, crm_builtin_intent_end
crm_builtin_intent:
	.incbin "intent.model"
crm_builtin_intent_end:
	.balign 16
	.globl crm_builtin_sentiment, crm_builtin_sentiment_end
crm_builtin_sentiment:
	.incbin "sentiment.model"
crm_builtin_sentiment_end:
	.section .note.GNU-stack,"",@progbits
