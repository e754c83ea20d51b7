/* Worker queue: bounded acceptance, refusal counting, completion in the dispatching
 * thread, cancellation of work that never started, and stopping long work. */
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "agent/daemon/queue.h"
#include "tests/unit/unit.h"

struct item {
	struct ev_work w;
	pthread_mutex_t *gate; /* held by the test to keep workers busy; NULL = run at once */
	int *done_count;
	int *last_result;
	pthread_t *done_thread;
	bool wait_stop; /* run until the queue stops */
};

static int item_run(struct ev_work *w, struct ev_queue *q, char **msg) {
	struct item *it = (struct item *)w;
	if (it->gate) {
		pthread_mutex_lock(it->gate);
		pthread_mutex_unlock(it->gate);
	}
	if (it->wait_stop) {
		while (!ev_queue_stopping(q)) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		return -ECANCELED;
	}
	*msg = strdup("ran");
	return 7;
}

static void item_done(struct ev_work *w, int result, char *msg) {
	struct item *it = (struct item *)w;
	(*it->done_count)++;
	*it->last_result = result;
	if (it->done_thread)
		*it->done_thread = pthread_self();
	if (result == 7)
		CU_ASSERT_STRING_EQUAL(msg, "ran");
	free(msg);
	free(it);
}

static struct item *item_new(pthread_mutex_t *gate, int *count, int *last) {
	struct item *it = calloc(1, sizeof(*it));
	it->w.kind = "test";
	it->w.run = item_run;
	it->w.done = item_done;
	it->gate = gate;
	it->done_count = count;
	it->last_result = last;
	return it;
}

/* Dispatch until `want` items are done (deadline 5 s). */
static void dispatch_until(struct ev_queue *q, int *count, int want) {
	for (int i = 0; i < 500 && *count < want; i++) {
		struct pollfd p = {.fd = ev_queue_fd(q), .events = POLLIN};
		poll(&p, 1, 10);
		ev_queue_dispatch(q);
	}
}

TEST(test_queue_runs_and_dispatches_in_caller_thread) {
	struct ev_queue *q = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_queue_new(2, 8, &q), 0);
	int count = 0, last = 0;
	pthread_t th;
	for (int i = 0; i < 5; i++) {
		struct item *it = item_new(NULL, &count, &last);
		it->done_thread = &th;
		CU_ASSERT(ev_queue_submit(q, &it->w) > 0);
	}
	dispatch_until(q, &count, 5);
	CU_ASSERT_EQUAL(count, 5);
	CU_ASSERT_EQUAL(last, 7);
	CU_ASSERT(pthread_equal(th, pthread_self()));
	struct ev_queue_stats st;
	ev_queue_get_stats(q, &st);
	CU_ASSERT_EQUAL(st.submitted, 5);
	CU_ASSERT_EQUAL(st.completed, 5);
	CU_ASSERT_EQUAL(st.pending + st.running, 0);
	CU_ASSERT_EQUAL(st.workers, 2);
	ev_queue_free(q);
}

TEST(test_queue_full_refuses_without_blocking) {
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&gate); /* every worker blocks on the gate */
	struct ev_queue *q = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_queue_new(1, 3, &q), 0);
	int count = 0, last = 0;
	for (int i = 0; i < 3; i++)
		CU_ASSERT(ev_queue_submit(q, &item_new(&gate, &count, &last)->w) > 0);
	/* full: refused at once, the caller keeps the item */
	for (int i = 0; i < 2; i++) {
		struct item *it = item_new(&gate, &count, &last);
		CU_ASSERT_EQUAL(ev_queue_submit(q, &it->w), -EAGAIN);
		free(it);
	}
	struct ev_queue_stats st;
	ev_queue_get_stats(q, &st);
	CU_ASSERT_EQUAL(st.refused, 2);
	CU_ASSERT_EQUAL(st.pending + st.running, 3);
	/* a larger capacity takes more at once */
	ev_queue_set_capacity(q, 4);
	CU_ASSERT(ev_queue_submit(q, &item_new(&gate, &count, &last)->w) > 0);
	pthread_mutex_unlock(&gate);
	dispatch_until(q, &count, 4);
	CU_ASSERT_EQUAL(count, 4);
	/* room again */
	CU_ASSERT(ev_queue_submit(q, &item_new(NULL, &count, &last)->w) > 0);
	dispatch_until(q, &count, 5);
	CU_ASSERT_EQUAL(count, 5);
	ev_queue_free(q);
}

TEST(test_queue_free_cancels_pending_and_stops_running) {
	struct ev_queue *q = NULL;
	CU_ASSERT_EQUAL_FATAL(ev_queue_new(1, 10, &q), 0);
	int count = 0, last = 0;
	struct item *longrun = item_new(NULL, &count, &last);
	longrun->wait_stop = true;
	CU_ASSERT(ev_queue_submit(q, &longrun->w) > 0);
	/* wait until the worker took it */
	struct ev_queue_stats st;
	for (int i = 0; i < 500; i++) {
		ev_queue_get_stats(q, &st);
		if (st.running == 1)
			break;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL(st.running, 1);
	int cancelled = 0, clast = 0;
	for (int i = 0; i < 3; i++)
		CU_ASSERT(ev_queue_submit(q, &item_new(NULL, &cancelled, &clast)->w) > 0);
	ev_queue_free(q); /* returns: the running item honours ev_queue_stopping() */
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_EQUAL(last, -ECANCELED);
	CU_ASSERT_EQUAL(cancelled, 3);
	CU_ASSERT_EQUAL(clast, -ECANCELED);
}

TEST(test_queue_bad_arguments) {
	struct ev_queue *q = NULL;
	CU_ASSERT_EQUAL(ev_queue_new(0, 1, &q), -EINVAL);
	CU_ASSERT_EQUAL(ev_queue_new(1, 0, &q), -EINVAL);
	CU_ASSERT_PTR_NULL(ev_queue_free(NULL));
}
