/* Business impact and SLA figures in exact integer arithmetic (impact.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "agent/report/impact.h"
#include "agent/settings.h"

typedef unsigned __int128 u128;

#define MICRO     1000000
#define MINUTE_US (60LL * MICRO)

int ev_impact_parse_decimal(const char *s, int64_t *ret_micro) {
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	int64_t whole = 0, frac = 0;
	while (isdigit((unsigned char)*s)) {
		if (whole > (INT64_MAX / MICRO - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (*s++ - '0');
	}
	int digits = 0;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		while (isdigit((unsigned char)*s)) {
			if (++digits > 6)
				return -EINVAL;
			frac = frac * 10 + (*s++ - '0');
		}
	}
	if (*s)
		return -EINVAL;
	for (; digits < 6; digits++)
		frac *= 10;
	*ret_micro = whole * MICRO + frac;
	return 0;
}

void ev_impact_format_fixed(u128 num, u128 den, unsigned keep, char *buf, size_t len) {
	u128 scale = 1;
	for (unsigned i = 0; i < keep; i++)
		scale *= 10;
	/* round(num / den * scale), half up */
	u128 q = (num * scale * 2 + den) / (den * 2);
	u128 ip = q / scale, fp = q % scale;
	char whole[48];
	size_t w = sizeof(whole);
	whole[--w] = '\0';
	do {
		whole[--w] = (char)('0' + (int)(ip % 10));
		ip /= 10;
	} while (ip && w);
	if (!keep) {
		snprintf(buf, len, "%s", whole + w);
		return;
	}
	char frac[48];
	for (unsigned i = keep; i-- > 0;) {
		frac[i] = (char)('0' + (int)(fp % 10));
		fp /= 10;
	}
	frac[keep] = '\0';
	snprintf(buf, len, "%s.%s", whole + w, frac);
}

static json_t *fixed(u128 num, u128 den, unsigned keep) {
	char b[96];
	ev_impact_format_fixed(num, den, keep, b, sizeof(b));
	return json_string(b);
}

/* An exact decimal without its trailing zeros ("99.900000" -> "99.9"). */
static json_t *trimmed(u128 num, u128 den) {
	char b[96];
	ev_impact_format_fixed(num, den, 6, b, sizeof(b));
	size_t n = strlen(b);
	while (n && b[n - 1] == '0')
		b[--n] = '\0';
	if (n && b[n - 1] == '.')
		b[--n] = '\0';
	return json_string(b);
}

static json_t *duration(int64_t us) {
	char b[64];
	ev_format_duration((uint64_t)us, b, sizeof(b));
	return json_string(b);
}

static void missing(json_t *o, const char *what) {
	json_array_append_new(json_object_get(o, "missing"), json_string(what));
}

static json_t *sla_figures(const struct ev_impact_in *in) {
	/* allowed = period * (100 - sla) / 100, all in millionths of a percent */
	u128 room = (u128)(100LL * MICRO - in->sla_micro);
	u128 allowed_x = (u128)in->period_us * room; /* allowed downtime x 100e6 */
	int64_t allowed = (int64_t)(allowed_x / (100ULL * MICRO));
	u128 down_x = (u128)in->downtime_us * (100ULL * MICRO);
	bool breached = down_x > allowed_x;
	json_t *o = json_pack(
	        "{s:o, s:o, s:o, s:o, s:b}", "percent", trimmed((u128)in->sla_micro, MICRO),
	        "period", duration(in->period_us), "allowed_downtime", duration(allowed),
	        "allowed_downtime_seconds", fixed((u128)allowed, MICRO, 6), "breached", breached);
	int64_t diff = breached ? in->downtime_us - allowed : allowed - in->downtime_us;
	json_object_set_new(o, breached ? "over_by" : "margin", duration(diff));
	json_object_set_new(o, breached ? "margin" : "over_by", json_null());
	/* the availability the downtime leaves: 100 x (1 - downtime / period), to 4 decimals */
	u128 up = in->downtime_us >= in->period_us ? 0 : (u128)(in->period_us - in->downtime_us);
	json_object_set_new(o, "availability_percent", fixed(up * 100, (u128)in->period_us, 4));
	return o;
}

json_t *ev_impact_compute(const struct ev_impact_in *in) {
	json_t *o = json_pack(
	        "{s:[], s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "missing", "affected_users",
	        in->users >= 0 ? json_integer(in->users) : json_null(), "total_users",
	        in->total_users > 0 ? json_integer(in->total_users) : json_null(), "downtime",
	        in->downtime_us >= 0 ? duration(in->downtime_us) : json_null(), "downtime_source",
	        in->downtime_us >= 0 && in->downtime_source ? json_string(in->downtime_source)
	                                                    : json_null(),
	        "downtime_minutes",
	        in->downtime_us >= 0 ? fixed((u128)in->downtime_us, MINUTE_US, 2) : json_null(),
	        "revenue_per_user_minute",
	        in->rpum_micro >= 0 ? trimmed((u128)in->rpum_micro, MICRO) : json_null(),
	        "revenue_impact", json_null(), "share_affected_percent", json_null(), "sla",
	        json_null());
	if (!o)
		return NULL;
	if (in->users < 0)
		missing(o, "affected users");
	if (in->downtime_us < 0)
		missing(o, "downtime");
	if (in->rpum_micro < 0)
		missing(o, "revenue per user-minute");
	if (in->total_users <= 0)
		missing(o, "total users");
	if (in->sla_micro < 0)
		missing(o, "SLA");
	if (in->users >= 0 && in->downtime_us >= 0 && in->rpum_micro >= 0) {
		/* users x (downtime_us / 60e6) x (rpum_micro / 1e6), to the cent */
		u128 num = (u128)in->users * (u128)in->downtime_us * (u128)in->rpum_micro;
		json_object_set_new(o, "revenue_impact", fixed(num, (u128)MINUTE_US * MICRO, 2));
	}
	if (in->users >= 0 && in->total_users > 0)
		json_object_set_new(o, "share_affected_percent",
		                    fixed((u128)in->users * 100, (u128)in->total_users, 2));
	if (in->sla_micro >= 0 && in->downtime_us >= 0 && in->period_us > 0)
		json_object_set_new(o, "sla", sla_figures(in));
	return o;
}
