// deadlock MODE: a target for the deadlock and busy-hang detector (coordinator/detect/).
//   two        threads dl-a, dl-b: a locks M0 then M1, b locks M1 then M0, with a barrier
//              between the two locks so the deadlock is certain
//   three      threads dl-a, dl-b, dl-c: a cycle M0 -> M1 -> M2 -> M0
//   contended  4 threads hammering 3 mutexes (pairs always taken in address order, so never a
//              cycle): heavy contention, always progressing
//   spin       thread dl-spin burns CPU in spin_forever(), never blocking: a busy hang
//   idle       threads sleeping in nanosleep and in pthread_cond_wait, main in pthread_join:
//              blocked, but on nothing anyone holds
// Prints "thread NAME TID" for each thread, "mutex NAME 0xADDR" for each mutex, then "ready"
// once the state is reached (for two/three: every thread of the cycle sits in futex(), read from
// /proc/self/task/TID/syscall), so a test can compare what the detector reports.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 8

static pthread_mutex_t mutexes[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t barrier;
static int cycle_length;
static atomic_int started;
static pid_t tids[MAX_THREADS];
static atomic_ulong progress;

struct worker_arg {
  int index;
  char name[16];
};

static void name_self(const char *name, int index) {
  pthread_setname_np(pthread_self(), name);
  tids[index] = (pid_t)syscall(SYS_gettid);
  atomic_fetch_add(&started, 1);
}

// noinline + an empty asm after each call: these frames stay visible as the "where" of a wait.
__attribute__((noinline)) void dl_take_first(int i) { pthread_mutex_lock(&mutexes[i]); __asm__ volatile(""); }
__attribute__((noinline)) void dl_take_second(int i) { pthread_mutex_lock(&mutexes[i]); __asm__ volatile(""); }

static void *cycle_thread(void *p) {
  struct worker_arg *arg = p;
  name_self(arg->name, arg->index);
  dl_take_first(arg->index);
  pthread_barrier_wait(&barrier);  // everyone holds its first mutex: the second lock must block
  dl_take_second((arg->index + 1) % cycle_length);
  return NULL;
}

__attribute__((noinline)) void contended_work(int a, int b) {
  // Always the lower index first: a consistent order, so no cycle can ever form.
  int lo = a < b ? a : b, hi = a < b ? b : a;
  pthread_mutex_lock(&mutexes[lo]);
  if (lo != hi) pthread_mutex_lock(&mutexes[hi]);
  // Now and then sleep with the locks held, so the others pile up in futex() behind us (waits
  // and owners the detector must see, and chains it must not mistake for cycles).
  if ((atomic_fetch_add(&progress, 1) & 15) == 0) usleep(100);
  if (lo != hi) pthread_mutex_unlock(&mutexes[hi]);
  pthread_mutex_unlock(&mutexes[lo]);
  __asm__ volatile("");
}

static void *contended_thread(void *p) {
  struct worker_arg *arg = p;
  name_self(arg->name, arg->index);
  unsigned seed = (unsigned)arg->index * 7919u + 1;
  for (;;) contended_work((int)(rand_r(&seed) % 3), (int)(rand_r(&seed) % 3));
  return NULL;
}

__attribute__((noinline)) void spin_forever(void) {
  volatile unsigned long x = 0;
  for (;;) x++;
}

static void *spin_thread(void *p) {
  struct worker_arg *arg = p;
  name_self(arg->name, arg->index);
  spin_forever();
  return NULL;
}

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static void *sleeper_thread(void *p) {
  struct worker_arg *arg = p;
  name_self(arg->name, arg->index);
  for (;;) {
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void *cond_thread(void *p) {
  struct worker_arg *arg = p;
  name_self(arg->name, arg->index);
  pthread_mutex_lock(&idle_lock);
  for (;;) pthread_cond_wait(&idle_cond, &idle_lock);  // never signalled
  return NULL;
}

// True when thread tid of this process sits in futex() (syscall 202 on x86_64).
static int in_futex(pid_t tid) {
  char path[64], buf[64] = {0};
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return strncmp(buf, "202 ", 4) == 0;
}

static pthread_t start(int index, const char *name, void *(*fn)(void *)) {
  static struct worker_arg args[MAX_THREADS];
  args[index].index = index;
  snprintf(args[index].name, sizeof args[index].name, "%s", name);
  pthread_t t;
  pthread_create(&t, NULL, fn, &args[index]);
  return t;
}

static void wait_started(int n) {
  while (atomic_load(&started) < n) usleep(1000);
}

static void print_threads(int n) {
  char name[16];
  for (int i = 0; i < n; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tids[i]);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(name, sizeof name, f)) snprintf(name, sizeof name, "?\n");
    if (f) fclose(f);
    name[strcspn(name, "\n")] = 0;
    printf("thread %s %d\n", name, (int)tids[i]);
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  static const char *names[] = {"dl-a", "dl-b", "dl-c"};
  if (strcmp(mode, "two") == 0 || strcmp(mode, "three") == 0) {
    cycle_length = strcmp(mode, "two") == 0 ? 2 : 3;
    pthread_barrier_init(&barrier, NULL, (unsigned)cycle_length);
    for (int i = 0; i < cycle_length; i++) start(i, names[i], cycle_thread);
    wait_started(cycle_length);
    for (;;) {  // until every thread of the cycle blocks in its second lock
      int blocked = 0;
      for (int i = 0; i < cycle_length; i++) blocked += in_futex(tids[i]) && mutexes[(i + 1) % cycle_length].__data.__owner != 0;
      if (blocked == cycle_length) break;
      usleep(1000);
    }
    print_threads(cycle_length);
    for (int i = 0; i < cycle_length; i++) printf("mutex M%d %p\n", i, (void *)&mutexes[i]);
  } else if (strcmp(mode, "contended") == 0) {
    static const char *cnames[] = {"dl-c0", "dl-c1", "dl-c2", "dl-c3"};
    for (int i = 0; i < 4; i++) start(i, cnames[i], contended_thread);
    wait_started(4);
    unsigned long before = atomic_load(&progress);
    while (atomic_load(&progress) < before + 10000) usleep(1000);  // it does progress
    print_threads(4);
    for (int i = 0; i < 3; i++) printf("mutex M%d %p\n", i, (void *)&mutexes[i]);
  } else if (strcmp(mode, "spin") == 0) {
    start(0, "dl-spin", spin_thread);
    wait_started(1);
    print_threads(1);
  } else if (strcmp(mode, "idle") == 0) {
    pthread_t sleeper = start(0, "dl-sleep", sleeper_thread);
    start(1, "dl-cond", cond_thread);
    wait_started(2);
    while (!in_futex(tids[1])) usleep(1000);
    print_threads(2);
    printf("ready\n");
    fflush(stdout);
    pthread_join(sleeper, NULL);  // main blocks in futex() too, on the sleeper's tid word
    return 0;
  } else {
    fprintf(stderr, "usage: deadlock two|three|contended|spin|idle\n");
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
