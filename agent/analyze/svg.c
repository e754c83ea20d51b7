/* The error-rate chart (see svg.h). Geometry is fixed (W x H with margins); text is
 * XML-escaped; colours cycle through a fixed palette so the same services get the same
 * colours in the same order. */
#include "config.h"

#include "agent/analyze/svg.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util/macro.h"
#include "util/timefmt.h"

#define W  900
#define H  360
#define ML 60 /* margins: left, right, top, bottom */
#define MR 170
#define MT 30
#define MB 50

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#17becf"};

static void esc(FILE *out, const char *s) {
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, out);
		}
}

static double xpos(const struct analysis *a, int64_t t) {
	double span = (double)(a->until_us - a->since_us);
	double f = span > 0 ? (double)(t - a->since_us) / span : 0.0;
	return ML + f * (W - ML - MR);
}

static void axes(const struct analysis *a, FILE *out, uint32_t ymax) {
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", ML,
	        H - MB, W - MR, H - MB);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", ML, MT,
	        ML, H - MB);
	for (int k = 0; k <= 4; k++) { /* time ticks */
		int64_t t = a->since_us + (a->until_us - a->since_us) / 4 * k;
		char buf[64];
		ev_format_rfc3339(t, buf, sizeof(buf));
		double x = xpos(a, t);
		fprintf(out,
		        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>"
		        "<text class=\"xtick\" x=\"%.1f\" y=\"%d\" font-size=\"10\" "
		        "text-anchor=\"middle\">%.8s</text>\n",
		        x, H - MB, x, H - MB + 5, x, H - MB + 18, buf + 11);
	}
	char d0[64];
	ev_format_rfc3339(a->since_us, d0, sizeof(d0));
	d0[10] = '\0';
	fprintf(out,
	        "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">time (UTC, %s)"
	        "</text>\n",
	        (ML + W - MR) / 2, H - 12, d0);
	for (int k = 0; k <= 4; k++) { /* count ticks */
		double v = (double)ymax * k / 4;
		double y = H - MB - (double)(H - MT - MB) * k / 4;
		fprintf(out,
		        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ccc\"/>"
		        "<text class=\"ytick\" x=\"%d\" y=\"%.1f\" font-size=\"10\" "
		        "text-anchor=\"end\">%.4g</text>\n",
		        ML, y, W - MR, y, ML - 6, y + 3, v);
	}
	fprintf(out,
	        "<text x=\"14\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 14 %d)\" "
	        "text-anchor=\"middle\">errors per %.0f s</text>\n",
	        (MT + H - MB) / 2, (MT + H - MB) / 2,
	        (double)(a->until_us - a->since_us) / 1e6 / ANALYZE_BINS);
}

static void series(const struct analysis *a, FILE *out, uint32_t ymax) {
	for (size_t i = 0; i < a->n_svc; i++) {
		const char *c = palette[i % ELEMENTSOF(palette)];
		fprintf(out, "<polyline class=\"series\" data-service=\"");
		esc(out, a->svc[i].name);
		fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", c);
		for (size_t b = 0; b < ANALYZE_BINS; b++)
			fprintf(out, "%s%.1f,%.1f", b ? " " : "",
			        ML + (b + 0.5) * (W - ML - MR) / ANALYZE_BINS,
			        H - MB - (double)a->svc[i].bins[b] * (H - MT - MB) / ymax);
		fprintf(out,
		        "\"/>\n<text class=\"legend\" x=\"%d\" y=\"%zu\" font-size=\"11\" "
		        "fill=\"%s\">",
		        W - MR + 10, MT + 14 * i + 10, c);
		esc(out, a->svc[i].name);
		fprintf(out, " (%" PRIu64 " errors)</text>\n", a->svc[i].errors);
	}
}

static void marker(const struct analysis *a, FILE *out, int64_t t, const char *kind,
                   const char *label, const char *colour) {
	double x = xpos(a, t);
	fputs("<line class=\"marker\" data-kind=\"", out);
	esc(out, kind);
	fprintf(out,
	        "\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
	        "y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"4 3\"><title>",
	        x, MT, x, H - MB, colour);
	esc(out, label);
	fputs("</title></line>\n", out);
	if (strcmp(kind, "first_error") == 0)
		return;
	fprintf(out, "<text class=\"marker-label\" x=\"%.1f\" y=\"%d\" font-size=\"10\">", x + 3,
	        MT + 10);
	esc(out, kind);
	fputs("</text>\n", out);
}

int analyze_svg_write(const struct analysis *a, FILE *out) {
	uint32_t ymax = 1;
	for (size_t i = 0; i < a->n_svc; i++)
		for (size_t b = 0; b < ANALYZE_BINS; b++)
			ymax = MAX(ymax, a->svc[i].bins[b]);
	fprintf(out,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	        "<title>Errors per service</title>\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
	        "<text x=\"%d\" y=\"18\" font-size=\"13\">Errors per service</text>\n",
	        W, H, W, H, ML);
	axes(a, out, ymax);
	series(a, out, ymax);
	for (size_t i = 0; i < a->n_svc; i++)
		if (a->svc[i].first_error_us != ANALYZE_NONE)
			marker(a, out, a->svc[i].first_error_us, "first_error", a->svc[i].name,
			       palette[i % ELEMENTSOF(palette)]);
	for (size_t i = 0; i < a->n_markers; i++)
		marker(a, out, a->markers[i].t_us, a->markers[i].kind, a->markers[i].label, "#000");
	fputs("</svg>\n", out);
	return ferror(out) ? -EIO : 0;
}
