/* The incident policy: every cell of the default severity matrix (impact x urgency x few
 * and many users) against the table in docs/incidents.md, the share of the user base,
 * routing per severity with contacts, the item checks, and incident ids. */
#include <string.h>

#include "agent/incident/incident.h"
#include "agent/incident/policy.h"
#include "agent/settings.h"
#include "tests/unit/unit.h"

/* docs/incidents.md, row by row: urgencies immediate high medium low, few | many. */
static const char *const golden[7][9] = {
        {"data_breach", "critical", "critical", "high", "high", "critical", "critical", "critical",
         "critical"},
        {"service_outage", "critical", "high", "medium", "medium", "critical", "critical", "high",
         "medium"},
        {"service_degradation", "high", "medium", "medium", "low", "critical", "high", "medium",
         "low"},
        {"security_violation", "critical", "high", "high", "medium", "critical", "critical", "high",
         "high"},
        {"compliance_issue", "high", "high", "medium", "low", "critical", "high", "high", "medium"},
        {"user_complaints", "medium", "medium", "low", "low", "high", "medium", "medium", "low"},
        {"internal_error", "medium", "low", "low", "low", "high", "medium", "low", "low"},
};

static struct ev_config *defaults(void) {
	struct ev_config *c = NULL;
	struct ev_errlist errs = {0};
	CU_ASSERT_EQUAL_FATAL(ev_config_load(NULL, &c, &errs), 0);
	ev_errlist_clear(&errs);
	return c;
}

TEST(test_agent_incident_matrix_every_cell) {
	struct ev_config *c = defaults();
	for (int i = 0; i < 7; i++) {
		int imp = ev_incident_index(ev_incident_impacts, golden[i][0]);
		CU_ASSERT_EQUAL_FATAL(imp, i);
		for (int u = 0; u < 4; u++) {
			bool many = true;
			/* few: no count, 0 and 99 users; many: 100 and a million */
			const int64_t few[] = {-1, 0, 99}, lots[] = {100, 1000000};
			for (size_t k = 0; k < 3; k++) {
				int s = ev_incident_severity(c, imp, u, few[k], &many);
				CU_ASSERT_FALSE(many);
				CU_ASSERT_STRING_EQUAL(ev_incident_severities[s], golden[i][1 + u]);
			}
			for (size_t k = 0; k < 2; k++) {
				int s = ev_incident_severity(c, imp, u, lots[k], &many);
				CU_ASSERT_TRUE(many);
				CU_ASSERT_STRING_EQUAL(ev_incident_severities[s], golden[i][5 + u]);
			}
		}
	}
	ev_config_free(c);
}

TEST(test_agent_incident_matrix_user_share) {
	struct ev_config *c = defaults();
	c->incidents.user_base = 400; /* 10 % of it: 40 users are many */
	bool many = false;
	int imp = ev_incident_index(ev_incident_impacts, "internal_error");
	CU_ASSERT_STRING_EQUAL(ev_incident_severities[ev_incident_severity(c, imp, 0, 39, &many)],
	                       "medium");
	CU_ASSERT_FALSE(many);
	CU_ASSERT_STRING_EQUAL(ev_incident_severities[ev_incident_severity(c, imp, 0, 40, &many)],
	                       "high");
	CU_ASSERT_TRUE(many);
	ev_config_free(c);
}

static void expect_teams(struct ev_config *c, int sev, const char *want) {
	json_t *r = ev_incident_routing(c, sev);
	char got[300] = "";
	size_t i;
	json_t *t;
	json_array_foreach(r, i, t) {
		strncat(got, i ? " " : "", sizeof(got) - strlen(got) - 1);
		strncat(got, json_string_value(json_object_get(t, "team")),
		        sizeof(got) - strlen(got) - 1);
	}
	CU_ASSERT_STRING_EQUAL(got, want);
	json_decref(r);
}

TEST(test_agent_incident_routing) {
	struct ev_config *c = defaults();
	expect_teams(c, 0, "security-engineer devops-incident-responder sre-engineer");
	expect_teams(c, 1, "devops-incident-responder security-engineer backend-developer");
	expect_teams(c, 2, "devops-incident-responder backend-developer");
	expect_teams(c, 3, "backend-developer qa-expert");
	/* contacts in escalation order */
	char *item = strdup("qa-expert: qa-oncall, qa-lead");
	CU_ASSERT_EQUAL_FATAL(ev_strv_push(&c->incidents.contacts, item), 0);
	json_t *r = ev_incident_routing(c, 3);
	json_t *qa = json_object_get(json_array_get(r, 1), "contacts");
	CU_ASSERT_EQUAL(json_array_size(qa), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(qa, 0)), "qa-oncall");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(qa, 1)), "qa-lead");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_array_get(r, 0), "contacts")), 0);
	json_decref(r);
	CU_ASSERT_EQUAL(ev_incident_update_every(c, 0), 15 * 60 * 1000000ULL);
	CU_ASSERT_EQUAL(ev_incident_update_every(c, 1), 30 * 60 * 1000000ULL);
	CU_ASSERT_EQUAL(ev_incident_update_every(c, 2), 0);
	ev_config_free(c);
}

TEST(test_agent_incident_policy_items) {
	char m[300];
	CU_ASSERT_EQUAL(ev_incident_policy_check_item("severity",
	                                              "data_breach: low low low low | high high "
	                                              "high high",
	                                              m, sizeof(m)),
	                0);
	CU_ASSERT_NOT_EQUAL(
	        ev_incident_policy_check_item("severity", "data_breach: low low low", m, sizeof(m)),
	        0);
	CU_ASSERT_NOT_EQUAL(ev_incident_policy_check_item("severity",
	                                                  "data_brech: low low low low | low low "
	                                                  "low low",
	                                                  m, sizeof(m)),
	                    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(m, "service_outage"));
	CU_ASSERT_NOT_EQUAL(ev_incident_policy_check_item("teams", "urgent: sre", m, sizeof(m)), 0);
	CU_ASSERT_NOT_EQUAL(ev_incident_policy_check_item("services", "api: disk:/x", m, sizeof(m)),
	                    0);
	CU_ASSERT_EQUAL(ev_incident_policy_check_item("services", "api: unit:api.service file:/a",
	                                              m, sizeof(m)),
	                0);
	CU_ASSERT_NOT_EQUAL(ev_incident_policy_check_item("commands", "x=relative", m, sizeof(m)),
	                    0);
}

TEST(test_agent_incident_ids) {
	char m[300];
	CU_ASSERT_EQUAL(ev_incident_id_check("INC-001", m, sizeof(m)), 0);
	CU_ASSERT_EQUAL(ev_incident_id_check("2026.11_a", m, sizeof(m)), 0);
	const char *bad[] = {"",
	                     "a/b",
	                     "..",
	                     "a..b",
	                     ".hidden",
	                     "-x",
	                     "a b",
	                     "inc\n1",
	                     "0123456789012345678901234567890123456789012345678901234567890123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_NOT_EQUAL(ev_incident_id_check(bad[i], m, sizeof(m)), 0);
}
