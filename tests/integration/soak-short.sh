#!/bin/sh
# The soak (tests/soak/soak.py) for two minutes: the real agent under rotation, SIGKILL,
# SIGHUP with good and bad configurations, a full store, hostile timestamps and seal
# storms; every numbered line must alert, the store must verify. `make soak` runs it for
# 30 minutes with a random seed; here the seed is fixed so a failure reproduces
# (EV_SOAK_SEED, EV_SOAK_SECONDS override both; EV_SOAK_SECONDS=0 skips it).
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is needed"; exit 77; }
: "${EVIDENT:?EVIDENT must point at the built binary (run through make check)}"
[ "${EV_SOAK_SECONDS:-120}" = 0 ] && { echo "SKIP: EV_SOAK_SECONDS=0"; exit 77; }
exec python3 "${EV_SRCDIR:-.}/tests/soak/soak.py" --evident "$EVIDENT" \
	--seconds "${EV_SOAK_SECONDS:-120}" --seed "${EV_SOAK_SEED:-1}" --max-rate 5000
