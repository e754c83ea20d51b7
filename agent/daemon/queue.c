/* Bounded work queue: a mutex-protected FIFO of pending items, a list of finished items,
 * and worker threads.
 *
 * Invariants: pending + running <= capacity (finished items wait only for the loop's
 * dispatch, which is never blocked, so they are not counted). Every accepted item reaches
 * its done callback exactly once, in the dispatching thread. The eventfd counter is
 * non-zero whenever the finished list is non-empty. */
#include "config.h"

#include "agent/daemon/queue.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ev_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t *threads;
	size_t n_threads;
	size_t capacity;
	struct ev_work *head, *tail; /* pending FIFO */
	struct ev_work *finished;    /* LIFO of finished items (order does not matter) */
	size_t pending, running;
	bool stopping;
	int efd;
	uint64_t next_id;
	uint64_t submitted, completed, failed, refused, cancelled;
};

static void queue_finish_locked(struct ev_queue *q, struct ev_work *w) {
	w->next = q->finished;
	q->finished = w;
	uint64_t one = 1;
	/* The counter cannot overflow in practice; a failed write only delays dispatch
	 * until the next finished item. */
	ssize_t k = write(q->efd, &one, sizeof(one));
	(void)k;
}

static void *queue_worker(void *arg) {
	struct ev_queue *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->head) /* stopping and nothing to do */
			break;
		if (q->stopping)
			break; /* pending items are cancelled by ev_queue_free() */
		struct ev_work *w = q->head;
		q->head = w->next;
		if (!q->head)
			q->tail = NULL;
		q->pending--;
		q->running++;
		pthread_mutex_unlock(&q->lock);

		char *msg = NULL;
		int r = w->run(w, q, &msg);

		pthread_mutex_lock(&q->lock);
		q->running--;
		w->result = r;
		w->msg = msg;
		if (r < 0)
			q->failed++;
		else
			q->completed++;
		queue_finish_locked(q, w);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int ev_queue_new(size_t workers, size_t capacity, struct ev_queue **ret) {
	if (workers < 1 || capacity < 1)
		return -EINVAL;
	struct ev_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->capacity = capacity;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		int r = -errno;
		free(q);
		return r;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->threads = calloc(workers, sizeof(pthread_t));
	if (!q->threads) {
		ev_queue_free(q);
		return -ENOMEM;
	}
	/* Workers never take signals: block all of them around pthread_create (the new
	 * thread inherits the mask). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = 0;
	for (size_t i = 0; i < workers; i++) {
		int e = pthread_create(&q->threads[i], NULL, queue_worker, q);
		if (e != 0) {
			r = -e;
			break;
		}
		q->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		ev_queue_free(q);
		return r;
	}
	*ret = q;
	return 0;
}

int64_t ev_queue_submit(struct ev_queue *q, struct ev_work *w) {
	pthread_mutex_lock(&q->lock);
	if (q->stopping) {
		pthread_mutex_unlock(&q->lock);
		return -ESHUTDOWN;
	}
	if (q->pending + q->running >= q->capacity) {
		q->refused++;
		pthread_mutex_unlock(&q->lock);
		return -EAGAIN;
	}
	w->id = ++q->next_id;
	w->next = NULL;
	w->result = 0;
	w->msg = NULL;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	q->pending++;
	q->submitted++;
	int64_t id = (int64_t)w->id;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return id;
}

void ev_queue_set_capacity(struct ev_queue *q, size_t capacity) {
	pthread_mutex_lock(&q->lock);
	q->capacity = capacity < 1 ? 1 : capacity;
	pthread_mutex_unlock(&q->lock);
}

int ev_queue_fd(const struct ev_queue *q) {
	return q->efd;
}

bool ev_queue_stopping(struct ev_queue *q) {
	pthread_mutex_lock(&q->lock);
	bool s = q->stopping;
	pthread_mutex_unlock(&q->lock);
	return s;
}

bool ev_queue_stopping_cb(void *q) {
	return q && ev_queue_stopping(q);
}

size_t ev_queue_dispatch(struct ev_queue *q) {
	uint64_t v;
	ssize_t k = read(q->efd, &v, sizeof(v)); /* reset the counter; EAGAIN is fine */
	(void)k;
	pthread_mutex_lock(&q->lock);
	struct ev_work *list = q->finished;
	q->finished = NULL;
	pthread_mutex_unlock(&q->lock);
	size_t n = 0;
	while (list) {
		struct ev_work *w = list;
		list = w->next;
		char *msg = w->msg;
		w->msg = NULL;
		w->done(w, w->result, msg);
		n++;
	}
	return n;
}

void ev_queue_get_stats(struct ev_queue *q, struct ev_queue_stats *ret) {
	pthread_mutex_lock(&q->lock);
	*ret = (struct ev_queue_stats){
	        .capacity = q->capacity,
	        .workers = q->n_threads,
	        .pending = q->pending,
	        .running = q->running,
	        .submitted = q->submitted,
	        .completed = q->completed,
	        .failed = q->failed,
	        .refused = q->refused,
	        .cancelled = q->cancelled,
	};
	pthread_mutex_unlock(&q->lock);
}

struct ev_queue *ev_queue_free(struct ev_queue *q) {
	if (!q)
		return NULL;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	struct ev_work *cancelled = q->head;
	q->head = q->tail = NULL;
	for (struct ev_work *w = cancelled; w; w = w->next) {
		q->pending--;
		q->cancelled++;
	}
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (size_t i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	while (cancelled) {
		struct ev_work *w = cancelled;
		cancelled = w->next;
		w->done(w, -ECANCELED, NULL);
	}
	if (q->efd >= 0)
		ev_queue_dispatch(q);
	if (q->efd >= 0)
		close(q->efd);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
	return NULL;
}
