/* Business impact and SLA (the seed's "Measure Business Impact"), in exact integer
 * arithmetic:
 *
 *   revenue impact  = affected users x downtime minutes x revenue per user per minute
 *   allowed downtime = period x (100 - SLA) / 100
 *   share affected   = affected users / total users x 100
 *
 * Decimal inputs (revenue per user-minute, SLA percent) are read exactly into millionths
 * (at most six decimals; more is an error, never silently rounded). Products are taken in
 * 128-bit integers, so nothing is lost before the one rounding each figure gets when it
 * is printed: revenue to the cent, the share to a hundredth of a percent, downtime minutes
 * to a hundredth, all half up; the allowed downtime is floored to the microsecond, and
 * "breached" compares downtime x 100 with period x (100 - SLA) exactly. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define EV_IMPACT_UNSET (-1)

struct ev_impact_in {
	int64_t users;               /* affected users, or EV_IMPACT_UNSET */
	int64_t total_users;         /* the user base, or EV_IMPACT_UNSET */
	int64_t downtime_us;         /* or EV_IMPACT_UNSET */
	int64_t rpum_micro;          /* revenue per user-minute in millionths, or EV_IMPACT_UNSET */
	int64_t sla_micro;           /* SLA percent in millionths (99.9% = 99900000), or unset */
	int64_t period_us;           /* the SLA period (default 30 days) */
	const char *downtime_source; /* "given", "incident (t_impact .. t_mitigate)" */
};

/* A non-negative decimal ("0.05", "12", "99.95") into millionths. 0, or -EINVAL (not a
 * number, more than six decimals), -ERANGE (too large). */
int ev_impact_parse_decimal(const char *s, int64_t *ret_micro);
/* A decimal string of v / 10^scale_digits rounded half up to `keep` decimals (v >= 0). */
void ev_impact_format_fixed(unsigned __int128 num, unsigned __int128 den, unsigned keep, char *buf,
                            size_t len);

/* The figures (new JSON object): every input echoed, and (when its inputs are there)
 * revenue_impact, sla {percent, period, allowed_downtime, allowed_downtime_seconds,
 * breached, over_by | margin}, share_affected_percent, downtime_minutes; figures that
 * cannot be worked out are null with the missing input named in "missing". */
json_t *ev_impact_compute(const struct ev_impact_in *in);
