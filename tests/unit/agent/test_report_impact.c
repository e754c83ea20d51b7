/* Impact and SLA arithmetic against values worked out by hand (agent/report/impact.h). */
#include "agent/report/impact.h"
#include "tests/unit/unit.h"

#define MIN_US (60LL * 1000000)

static struct ev_impact_in base(void) {
	struct ev_impact_in in = {.users = -1,
	                          .total_users = -1,
	                          .downtime_us = -1,
	                          .rpum_micro = -1,
	                          .sla_micro = -1,
	                          .period_us = 30LL * 86400 * 1000000};
	return in;
}

static const char *f(const json_t *o, const char *k) {
	return json_string_value(json_object_get(o, k));
}

TEST(test_agent_report_impact_decimal) {
	int64_t v;
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("0.05", &v), 0);
	CU_ASSERT_EQUAL(v, 50000);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("99.9", &v), 0);
	CU_ASSERT_EQUAL(v, 99900000);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("12", &v), 0);
	CU_ASSERT_EQUAL(v, 12000000);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("0.000001", &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	/* never silently rounded; no signs, no blanks, no exponent */
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("0.0000001", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("-1", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("1.", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal(".5", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("1e3", &v), -EINVAL);
	CU_ASSERT_EQUAL(ev_impact_parse_decimal("99999999999999999999", &v), -ERANGE);
}

/* 1200 users x 42 min x 0.05 = 2520.00; 1200 of 50000 = 2.40%; 99.9% of 30 days allows
 * 2592000 s x 0.001 = 2592 s = 43m12s, so 42m leaves a margin of 1m12s. */
TEST(test_agent_report_impact_seed_formula) {
	struct ev_impact_in in = base();
	in.users = 1200;
	in.total_users = 50000;
	in.downtime_us = 42 * MIN_US;
	in.rpum_micro = 50000;
	in.sla_micro = 99900000;
	json_t *o = ev_impact_compute(&in);
	CU_ASSERT_STRING_EQUAL(f(o, "revenue_impact"), "2520.00");
	CU_ASSERT_STRING_EQUAL(f(o, "share_affected_percent"), "2.40");
	CU_ASSERT_STRING_EQUAL(f(o, "downtime_minutes"), "42.00");
	const json_t *sla = json_object_get(o, "sla");
	CU_ASSERT_STRING_EQUAL(f(sla, "percent"), "99.9");
	CU_ASSERT_STRING_EQUAL(f(o, "revenue_per_user_minute"), "0.05");
	CU_ASSERT_STRING_EQUAL(f(sla, "allowed_downtime"), "43m12s");
	CU_ASSERT_STRING_EQUAL(f(sla, "allowed_downtime_seconds"), "2592.000000");
	CU_ASSERT(json_is_false(json_object_get(sla, "breached")));
	CU_ASSERT_STRING_EQUAL(f(sla, "margin"), "1m12s");
	/* 1 - 42/43200 = 0.99902777...: 99.9028% */
	CU_ASSERT_STRING_EQUAL(f(sla, "availability_percent"), "99.9028");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "missing")), 0);
	json_decref(o);
	/* 50 minutes breach it by 50m - 43m12s = 6m48s */
	in.downtime_us = 50 * MIN_US;
	o = ev_impact_compute(&in);
	sla = json_object_get(o, "sla");
	CU_ASSERT(json_is_true(json_object_get(sla, "breached")));
	CU_ASSERT_STRING_EQUAL(f(sla, "over_by"), "6m48s");
	CU_ASSERT_STRING_EQUAL(f(o, "revenue_impact"), "3000.00");
	json_decref(o);
	/* exactly the allowed downtime is not a breach */
	in.downtime_us = 2592LL * 1000000;
	o = ev_impact_compute(&in);
	CU_ASSERT(json_is_false(json_object_get(json_object_get(o, "sla"), "breached")));
	CU_ASSERT_STRING_EQUAL(f(json_object_get(o, "sla"), "margin"), "0s");
	json_decref(o);
	in.downtime_us += 1;
	o = ev_impact_compute(&in);
	CU_ASSERT(json_is_true(json_object_get(json_object_get(o, "sla"), "breached")));
	json_decref(o);
}

/* The one rounding: 3 users x 10 s (1/6 min) x 0.01 = 0.005 -> 0.01 (half up);
 * 1 user: 0.001666.. -> 0.00; 10 s = 0.1666.. min -> 0.17. */
TEST(test_agent_report_impact_rounding) {
	struct ev_impact_in in = base();
	in.users = 3;
	in.downtime_us = 10 * 1000000LL;
	in.rpum_micro = 10000;
	json_t *o = ev_impact_compute(&in);
	CU_ASSERT_STRING_EQUAL(f(o, "revenue_impact"), "0.01");
	CU_ASSERT_STRING_EQUAL(f(o, "downtime_minutes"), "0.17");
	json_decref(o);
	in.users = 1;
	o = ev_impact_compute(&in);
	CU_ASSERT_STRING_EQUAL(f(o, "revenue_impact"), "0.00");
	json_decref(o);
	/* large values stay exact: 10^9 users x 1 day x 1000.5 per user-minute */
	in.users = 1000000000;
	in.downtime_us = 86400LL * 1000000;
	in.rpum_micro = 1000500000;
	o = ev_impact_compute(&in);
	CU_ASSERT_STRING_EQUAL(f(o, "revenue_impact"), "1440720000000000.00");
	json_decref(o);
	/* 1 of 3 users = 33.333..% -> 33.33; 2 of 3 -> 66.67 */
	in.total_users = 3;
	in.users = 2;
	o = ev_impact_compute(&in);
	CU_ASSERT_STRING_EQUAL(f(o, "share_affected_percent"), "66.67");
	json_decref(o);
}

/* What cannot be worked out is null and named, never guessed. */
TEST(test_agent_report_impact_missing) {
	struct ev_impact_in in = base();
	in.users = 10;
	json_t *o = ev_impact_compute(&in);
	CU_ASSERT(json_is_null(json_object_get(o, "revenue_impact")));
	CU_ASSERT(json_is_null(json_object_get(o, "sla")));
	CU_ASSERT(json_is_null(json_object_get(o, "share_affected_percent")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "missing")), 4);
	json_decref(o);
	/* 99.99% over 7 days: 604800 s x 0.0001 = 60.48 s */
	in = base();
	in.downtime_us = 0;
	in.sla_micro = 99990000;
	in.period_us = 7LL * 86400 * 1000000;
	o = ev_impact_compute(&in);
	CU_ASSERT_STRING_EQUAL(f(json_object_get(o, "sla"), "allowed_downtime"), "1m480ms");
	CU_ASSERT_STRING_EQUAL(f(json_object_get(o, "sla"), "allowed_downtime_seconds"),
	                       "60.480000");
	json_decref(o);
}
