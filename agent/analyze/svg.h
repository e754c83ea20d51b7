/* The error-rate chart: a self-contained SVG (no scripts, no external references) with
 * one polyline per service (errors per bin over the window), a time axis with labelled
 * ticks in UTC, a count axis, a legend, and vertical markers: each service's first error
 * and the analysis' markers (alerts, incident times). Each series is a
 * <polyline class="series" data-service="NAME">, each marker a <line class="marker"
 * data-kind="KIND">, so tools and tests can find them. */
#pragma once
#include <stdio.h>

#include "agent/analyze/analysis.h"

/* Write the chart to out. Returns 0, or -EIO when writing failed. */
int analyze_svg_write(const struct analysis *a, FILE *out);
