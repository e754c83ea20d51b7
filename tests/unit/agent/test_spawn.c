/* Child processes (agent/spawn.c), as real children: only fds 0-2 reach them, the clean
 * environment, a name found in the fixed PATH, the time limit killing the process group,
 * the output cap with the bytes produced counted, a program that cannot start. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/spawn.h"
#include "tests/unit/unit.h"

static int collect(void *ud, const void *buf, size_t len) {
	size_t *n = ud;
	*n += len;
	(void)buf;
	return 0;
}

TEST(test_spawn_fds_env_and_path) {
	/* a descriptor without O_CLOEXEC in this process must not reach the child */
	int leak = open("/dev/null", O_RDONLY);
	CU_ASSERT_FATAL(leak > 2);
	char *ls[] = {(char *)"ls", (char *)"/proc/self/fd", NULL};
	struct ev_spawn sp = {
	        .argv = ls, .out_cap = 4096, .err_cap = 4096, .timeout_usec = 5000000};
	struct ev_spawn_result res;
	CU_ASSERT_EQUAL_FATAL(ev_spawn_run(&sp, &res), 0);
	CU_ASSERT(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
	/* 0, 1, 2 and the directory ls reads */
	CU_ASSERT_STRING_EQUAL(res.out, "0\n1\n2\n3\n");
	ev_spawn_result_clear(&res);
	close(leak);
	/* the environment: PATH and LANG=C, then what the caller adds; nothing of ours */
	setenv("EVIDENT_UNIT_SECRET", "x", 1);
	char *env[] = {(char *)"env", NULL};
	char *add[] = {(char *)"TZ=UTC", NULL};
	sp.argv = env;
	sp.env = add;
	CU_ASSERT_EQUAL_FATAL(ev_spawn_run(&sp, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.out, "PATH=" EV_SPAWN_PATH "\nLANG=C\nTZ=UTC\n");
	ev_spawn_result_clear(&res);
	unsetenv("EVIDENT_UNIT_SECRET");
	/* a program that cannot start: exec's errno, nothing else */
	char *none[] = {(char *)"/nonexistent/tool", NULL};
	char *nopath[] = {(char *)"no-such-tool-in-path", NULL};
	sp.argv = none;
	CU_ASSERT_EQUAL(ev_spawn_run(&sp, &res), -ENOENT);
	sp.argv = nopath;
	CU_ASSERT_EQUAL(ev_spawn_run(&sp, &res), -ENOENT);
}

TEST(test_spawn_limits) {
	/* over the time limit: killed with what it started (its group), recorded */
	char *sh[] = {(char *)"/bin/sh", (char *)"-c",
	              (char *)"sleep 30 & echo $! >&2; exec sleep 31", NULL};
	struct ev_spawn sp = {.argv = sh, .out_cap = 100, .err_cap = 100, .timeout_usec = 300000};
	struct ev_spawn_result res;
	CU_ASSERT_EQUAL_FATAL(ev_spawn_run(&sp, &res), 0);
	CU_ASSERT(res.timed_out);
	CU_ASSERT(WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGKILL);
	pid_t bg = (pid_t)strtol(res.err, NULL, 10);
	CU_ASSERT(bg > 0);
	/* the background sleep is gone too (a zombie until init reaps it at most) */
	for (int i = 0; bg > 0 && i < 100 && kill(bg, 0) == 0; i++) {
		char p[64], st[256] = "";
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)bg);
		FILE *f = fopen(p, "re");
		if (f && fgets(st, sizeof(st), f) && strstr(st, ") Z "))
			bg = 0;
		if (f)
			fclose(f);
		usleep(10000);
	}
	CU_ASSERT(bg == 0 || kill(bg, 0) < 0);
	ev_spawn_result_clear(&res);
	/* over the output cap: cut, the rest read and counted, streamed to the consumer */
	char *seq[] = {(char *)"seq", (char *)"100000", NULL};
	size_t got = 0;
	struct ev_spawn sp2 = {.argv = seq,
	                       .on_out = collect,
	                       .userdata = &got,
	                       .out_cap = 1000,
	                       .err_cap = 10,
	                       .timeout_usec = 5000000};
	CU_ASSERT_EQUAL_FATAL(ev_spawn_run(&sp2, &res), 0);
	CU_ASSERT_EQUAL(got, 1000);
	CU_ASSERT(res.out_truncated);
	CU_ASSERT_EQUAL(res.out_total, 588895);
	CU_ASSERT_PTR_NULL(res.out);
	CU_ASSERT(WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0);
	ev_spawn_result_clear(&res);
	/* input on stdin, to a child that reads it */
	char *cat[] = {(char *)"cat", NULL};
	struct ev_spawn sp3 = {.argv = cat,
	                       .input = "alert\n",
	                       .input_len = 6,
	                       .out_cap = 100,
	                       .err_cap = 100,
	                       .timeout_usec = 5000000};
	CU_ASSERT_EQUAL_FATAL(ev_spawn_run(&sp3, &res), 0);
	CU_ASSERT_STRING_EQUAL(res.out, "alert\n");
	ev_spawn_result_clear(&res);
}
