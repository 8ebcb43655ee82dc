/* A chained hash table of tasks; it grows when the load passes 1. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/task.h"

static size_t slot(const struct task_table *t, pid_t tid)
{
	return ((size_t)(uint32_t)tid * 2654435761u) & (t->nbuckets - 1);
}

int task_table_init(struct task_table *t)
{
	t->nbuckets = 64;
	t->count = 0;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void task_table_free(struct task_table *t)
{
	for (size_t i = 0; t->buckets && i < t->nbuckets; i++) {
		struct task *p = t->buckets[i];
		while (p) {
			struct task *n = p->next;
			free(p);
			p = n;
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

struct task *task_find(const struct task_table *t, pid_t tid)
{
	for (struct task *p = t->buckets[slot(t, tid)]; p; p = p->next)
		if (p->tid == tid)
			return p;
	return NULL;
}

static void grow(struct task_table *t)
{
	size_t old_n = t->nbuckets;
	struct task **old = t->buckets;
	struct task **nb = calloc(old_n * 2, sizeof(*nb));

	if (!nb)
		return; /* keep the longer chains */
	t->buckets = nb;
	t->nbuckets = old_n * 2;
	for (size_t i = 0; i < old_n; i++) {
		struct task *p = old[i];
		while (p) {
			struct task *n = p->next;
			size_t s = slot(t, p->tid);
			p->next = nb[s];
			nb[s] = p;
			p = n;
		}
	}
	free(old);
}

struct task *task_get(struct task_table *t, pid_t tid)
{
	struct task *p = task_find(t, tid);
	size_t s;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tid = tid;
	if (t->count + 1 > t->nbuckets)
		grow(t);
	s = slot(t, tid);
	p->next = t->buckets[s];
	t->buckets[s] = p;
	t->count++;
	return p;
}

static struct task *unlink_task(struct task_table *t, pid_t tid)
{
	struct task **pp = &t->buckets[slot(t, tid)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->tid == tid) {
			struct task *p = *pp;
			*pp = p->next;
			t->count--;
			return p;
		}
	}
	return NULL;
}

void task_remove(struct task_table *t, pid_t tid)
{
	free(unlink_task(t, tid));
}

void task_rename(struct task_table *t, pid_t old_tid, pid_t new_tid)
{
	struct task *p;
	size_t s;

	if (old_tid == new_tid)
		return;
	p = unlink_task(t, old_tid);
	task_remove(t, new_tid);
	if (!p)
		return;
	p->tid = new_tid;
	s = slot(t, new_tid);
	p->next = t->buckets[s];
	t->buckets[s] = p;
	t->count++;
}

void task_foreach(const struct task_table *t, void (*fn)(struct task *, void *), void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct task *p = t->buckets[i]; p; p = p->next)
			fn(p, arg);
}
