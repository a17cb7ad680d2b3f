// hang_corpus MODE: processes that deadlock or spin, for the deadlock and busy_hang rows of the
// classifier corpus (scripts/gen_crash_corpus.py). They get into their state, then print
// "ready" and stay there until killed; the generator takes a snapshot of all their threads
// through dbgcoord and builds from it the event the deadlock/hang detector reports.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t accounts = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ring[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t both_hold;
static volatile int go_flag;
static atomic_long counter;
volatile unsigned long sink;

NOINLINE void lock_pair(pthread_mutex_t* first, pthread_mutex_t* second) {
  pthread_mutex_lock(first);
  pthread_barrier_wait(&both_hold);  // both threads hold their first lock: a certain deadlock
  pthread_mutex_lock(second);
}
static void* transfer_main(void* arg) {
  pthread_setname_np(pthread_self(), "transfer");
  (void)arg;
  lock_pair(&accounts, &journal);
  return NULL;
}
static void* audit_main(void* arg) {
  pthread_setname_np(pthread_self(), "audit");
  (void)arg;
  lock_pair(&journal, &accounts);
  return NULL;
}
static void* ring_main(void* arg) {
  long i = (long)arg;
  pthread_setname_np(pthread_self(), "ring");
  lock_pair(&ring[i], &ring[(i + 1) % 3]);
  return NULL;
}
NOINLINE void relock(pthread_mutex_t* m) {
  pthread_mutex_lock(m);
  pthread_mutex_lock(m);  // a default mutex locked twice by its owner never returns
}
static void* relock_main(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "cache_refresh");
  relock(&accounts);
  return NULL;
}
static void* wait_for_accounts(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "settle");
  pthread_mutex_lock(&accounts);
  pthread_mutex_unlock(&accounts);
  return NULL;
}

NOINLINE void spin_until_flag(void) {
  while (!go_flag) {
  }
}
NOINLINE unsigned long churn_hash(unsigned long seed) {
  for (;;) {
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    if (seed == 42) return seed;  // practically never
  }
}
NOINLINE void spin_on_trylock(pthread_mutex_t* m) {
  while (pthread_mutex_trylock(m) != 0) atomic_fetch_add(&counter, 1);
}
NOINLINE void spin_atomic(void) {
  while (atomic_load(&counter) != -1) atomic_fetch_add(&counter, 1);
}
static void* spinner_main(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "poller");
  spin_until_flag();
  return NULL;
}
static void* hasher_main(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "hasher");
  sink = churn_hash(7);
  return NULL;
}

static void ready_and_wait(void) {
  usleep(200 * 1000);  // the threads reach their locks or loops
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: hang_corpus MODE\n");
    return 2;
  }
  const char* mode = argv[1];
  pthread_t a, b, c;
  if (strcmp(mode, "deadlock_pair") == 0) {
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, transfer_main, NULL);
    pthread_create(&b, NULL, audit_main, NULL);
    ready_and_wait();
  } else if (strcmp(mode, "deadlock_ring") == 0) {
    pthread_barrier_init(&both_hold, NULL, 3);
    pthread_create(&a, NULL, ring_main, (void*)0L);
    pthread_create(&b, NULL, ring_main, (void*)1L);
    pthread_create(&c, NULL, ring_main, (void*)2L);
    ready_and_wait();
  } else if (strcmp(mode, "deadlock_relock") == 0) {
    pthread_create(&a, NULL, relock_main, NULL);
    usleep(50 * 1000);
    pthread_create(&b, NULL, wait_for_accounts, NULL);
    ready_and_wait();
  } else if (strcmp(mode, "deadlock_main") == 0) {
    // main holds journal and waits for accounts, a worker holds accounts and waits for journal.
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, audit_main, NULL);
    usleep(100 * 1000);
    printf("ready\n");
    fflush(stdout);
    lock_pair(&accounts, &journal);
  } else if (strcmp(mode, "spin_flag") == 0) {
    pthread_create(&a, NULL, spinner_main, NULL);
    ready_and_wait();
  } else if (strcmp(mode, "spin_hash") == 0) {
    pthread_create(&a, NULL, hasher_main, NULL);
    ready_and_wait();
  } else if (strcmp(mode, "spin_trylock") == 0) {
    pthread_mutex_lock(&journal);
    printf("ready\n");
    fflush(stdout);
    pthread_create(&a, NULL, hasher_main, NULL);
    spin_on_trylock(&journal);  // main never gets it: journal is held by main itself (busy)
  } else if (strcmp(mode, "spin_main") == 0) {
    printf("ready\n");
    fflush(stdout);
    spin_atomic();
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 5;
}
