/*
 * ticket: a ticket's states and the changes allowed between them; see
 * ticket.h.
 */
#include <string.h>

#include "ticket.h"

static const char *const names[CRM_T_N] = { "new", "open", "pending", "on-hold",
	"solved", "closed", "reopened" };

const char *
crm_tstate_name(int s)
{
	return s >= 0 && s < CRM_T_N ? names[s] : "";
}

int
crm_tstate_parse(const char *s, size_t len)
{
	int i;

	for (i = 0; i < CRM_T_N; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

/* The table of ticket.h: y, a (needs an agent), c (close: needs one). */
static const char moves[CRM_T_N][CRM_T_N + 1] = {
	/*		  n o p h s c r */
	[CRM_T_NEW] = "-aaay--",
	[CRM_T_OPEN] = "-yyyyy-",
	[CRM_T_PENDING] = "-y-yyy-",
	[CRM_T_ONHOLD] = "-yy-yy-",
	[CRM_T_SOLVED] = "-----yy",
	[CRM_T_CLOSED] = "-------",
	[CRM_T_REOPENED] = "-aaayc-",
};

const char *
crm_tstate_why_not(int from, int to, int assigned)
{
	char m;

	if (from < 0 || from >= CRM_T_N || to < 0 || to >= CRM_T_N)
		return "no such state";
	m = moves[from][to];
	if (m == 'y')
		return NULL;
	if (m == 'a')
		return assigned ? NULL : "it has no agent yet";
	if (m == 'c')
		return assigned ? NULL
				: "nobody has worked on it yet (solve it "
				  "first)";
	if (from == CRM_T_CLOSED)
		return "it is closed already";
	if (from == to)
		return "it is in that state already";
	if (to == CRM_T_CLOSED)
		return "nobody has worked on it yet (solve it first)";
	if (to == CRM_T_NEW)
		return "a ticket is new only until it is taken";
	if (to == CRM_T_REOPENED)
		return "only a solved ticket is reopened";
	return "it is solved (reopen it first)";
}

int
crm_tstate_visible(int s)
{
	switch (s) {
	case CRM_T_ONHOLD:
	case CRM_T_REOPENED:
		return CRM_T_OPEN;
	case CRM_T_CLOSED:
		return CRM_T_SOLVED;
	default:
		return s;
	}
}

int
crm_tstate_clock(int s)
{
	switch (s) {
	case CRM_T_PENDING:
	case CRM_T_ONHOLD:
		return 0;
	case CRM_T_SOLVED:
	case CRM_T_CLOSED:
		return -1;
	default:
		return 1;
	}
}

int
crm_tstate_loads(int s)
{
	return s == CRM_T_OPEN || s == CRM_T_PENDING || s == CRM_T_ONHOLD ||
	       s == CRM_T_REOPENED;
}

int
crm_tstate_parent(const int *child, size_t n)
{
	/* of the subtasks not done, the first of these found wins */
	static const int order[] = { CRM_T_REOPENED, CRM_T_OPEN, CRM_T_NEW,
		CRM_T_ONHOLD, CRM_T_PENDING };
	const unsigned done = 1u << CRM_T_SOLVED | 1u << CRM_T_CLOSED;
	unsigned seen = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (child[i] >= 0 && child[i] < CRM_T_N)
			seen |= 1u << child[i];
	/* work has begun once one is done: the rest are open to the customer */
	if ((seen & done) && (seen & ~done) && !(seen & 1u << CRM_T_REOPENED))
		return CRM_T_OPEN;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (seen & (1u << order[i]))
			return order[i];
	return seen & (1u << CRM_T_SOLVED) ? CRM_T_SOLVED : CRM_T_CLOSED;
}
