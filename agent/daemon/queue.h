/* Bounded work queue for the daemon's slow work (seals, hooks, triage).
 *
 * The event loop submits items; a fixed set of worker threads runs them; the result
 * comes back to the loop thread, where the item's `done` callback runs. The loop never
 * waits on a worker: ev_queue_submit() either takes the item at once or refuses it with
 * -EAGAIN when `capacity` items are already pending or running (the refusal is counted).
 *
 * Completion is signalled through an eventfd (ev_queue_fd()): the owner watches it for
 * EPOLLIN and calls ev_queue_dispatch(), which runs the `done` callbacks of every finished
 * item in submission-independent completion order, in the caller's thread.
 *
 * Worker threads start with every signal blocked, so signals reach only the loop. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_queue;

struct ev_work {
	const char *kind; /* static string, for logs and status: "seal", "hook", ... */
	/* Runs in a worker thread. Returns >= 0 or -errno; may set *msg to a malloc'd
	 * message (owned by the work item afterwards). `q` lets long work poll
	 * ev_queue_stopping(). */
	int (*run)(struct ev_work *w, struct ev_queue *q, char **msg);
	/* Runs in the thread that calls ev_queue_dispatch() or ev_queue_free(), exactly once
	 * per accepted item, with the result of run (or -ECANCELED if it never ran). It owns
	 * the item: it must free it (and msg). */
	void (*done)(struct ev_work *w, int result, char *msg);
	void *userdata;
	/* queue internals */
	struct ev_work *next;
	int result;
	char *msg;
	uint64_t id;
};

struct ev_queue_stats {
	size_t capacity, workers;
	size_t pending; /* waiting for a worker */
	size_t running; /* in a worker now */
	uint64_t submitted, completed, failed, refused, cancelled;
};

/* Create a queue with `workers` threads (>= 1) and room for `capacity` (>= 1) items.
 * Returns 0 or -errno. */
int ev_queue_new(size_t workers, size_t capacity, struct ev_queue **ret);
/* Stop accepting work, cancel items that never started (their done callback gets
 * -ECANCELED), tell running items to give up (ev_queue_stopping() turns true), join the
 * workers, run the remaining done callbacks and free everything. The join waits for the
 * running items, so every `run` must honour ev_queue_stopping() within its own time
 * limit. Returns NULL; NULL is fine. */
struct ev_queue *ev_queue_free(struct ev_queue *q);
/* Take an item (ownership passes to the queue on success). Returns the item's id (> 0),
 * -EAGAIN when full (counted as refused), -ESHUTDOWN when stopping. On failure the caller
 * keeps the item. Never blocks on a worker. */
int64_t ev_queue_submit(struct ev_queue *q, struct ev_work *w);
/* Change the capacity (reload). Items already accepted stay. */
void ev_queue_set_capacity(struct ev_queue *q, size_t capacity);
/* The eventfd that becomes readable when finished items are waiting for dispatch. */
int ev_queue_fd(const struct ev_queue *q);
/* Run the done callbacks of the finished items. Returns how many ran. */
size_t ev_queue_dispatch(struct ev_queue *q);
/* True once ev_queue_free() started: long work should stop early. Thread-safe. */
bool ev_queue_stopping(struct ev_queue *q);
/* The same as a callback (agent/spawn.h's `stop`): `q` a struct ev_queue * or NULL
 * (never stopping). */
bool ev_queue_stopping_cb(void *q);
void ev_queue_get_stats(struct ev_queue *q, struct ev_queue_stats *ret);
