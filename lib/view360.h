/*
 * view360: the SQL the store's 360-degree views (lib/store.c, schemas 7
 * and 8) and crm-profile's reads of them (lib/profile.c) share, so that
 * a message or a decision is the same JSON object in both.
 */
#ifndef CRM_VIEW360_H
#define CRM_VIEW360_H

/*
 * Column x as JSON when it holds a JSON object or array (reasons and
 * outputs are kept as text), else as it is.
 */
#define CRM_360_J(x)                                                         \
	"CASE WHEN json_valid(" x ") AND substr(" x ", 1, 1) IN ('{', '[') " \
	"THEN json(" x ") ELSE " x " END"

/*
 * A message of customer_360_messages as a JSON object; who is "" or the
 * "'customer_id', customer_id," of a person's messages.
 */
#define CRM_360_MESSAGE(who)                                        \
	"json_object('event_key', event_key, " who " 'time', time," \
	" 'channel', channel, 'text', text, 'intent', intent,"      \
	" 'intent_score', intent_score, 'sentiment', sentiment,"    \
	" 'sentiment_score', sentiment_score)"

/* The who of a person's messages and decisions. */
#define CRM_360_WHO "'customer_id', customer_id,"

/* A decision of customer_360_decisions as a JSON object; who as above. */
#define CRM_360_DECISION(who)                                       \
	"json_object('id', id, " who " 'time', time, 'tool', tool," \
	" 'model', model, 'model_version', model_version,"          \
	" 'record_key', record_key, 'output', " CRM_360_J(          \
	    "output") ","                                           \
		      " 'score', score, 'reasons', " CRM_360_J(     \
			  "reasons") ","                            \
				     " 'review', " CRM_360_J("review") ")"

/*
 * The JSON array of obj over the rows of view where cond, in order, the
 * first limit of them ("10", or "?2" when bound).
 */
#define CRM_360_LIST(obj, view, cond, order, limit)                    \
	"(SELECT json_group_array(json(j)) FROM (SELECT " obj " AS j " \
	"FROM " view " WHERE " cond " ORDER BY " order " LIMIT " limit "))"

/* The messages' and the decisions' order, newest first. */
#define CRM_360_MESSAGES_ORDER	"time DESC, event_key DESC"
#define CRM_360_DECISIONS_ORDER "id DESC"

/*
 * The last limit messages and decisions of the customer of the row a
 * (an alias, "c"), and of the person of the row a: the sections of
 * customer_360 and person_360.
 */
#define CRM_360_CUSTOMER_MESSAGES(a, limit)                        \
	CRM_360_LIST(CRM_360_MESSAGE(""), "customer_360_messages", \
	    "customer_id = " a ".customer_id", CRM_360_MESSAGES_ORDER, limit)
#define CRM_360_CUSTOMER_DECISIONS(a, limit)                         \
	CRM_360_LIST(CRM_360_DECISION(""), "customer_360_decisions", \
	    "customer_id = " a ".customer_id", CRM_360_DECISIONS_ORDER, limit)
#define CRM_360_PERSON_MESSAGES(a, limit)                                 \
	CRM_360_LIST(CRM_360_MESSAGE(CRM_360_WHO), "person_360_messages", \
	    "person_id = " a ".person_id", CRM_360_MESSAGES_ORDER, limit)
#define CRM_360_PERSON_DECISIONS(a, limit)                                  \
	CRM_360_LIST(CRM_360_DECISION(CRM_360_WHO), "person_360_decisions", \
	    "person_id = " a ".person_id", CRM_360_DECISIONS_ORDER, limit)

#endif
