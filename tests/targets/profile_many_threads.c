// profile_many_threads N [busy]: N threads (main included) that each work ~50 us, then sleep
// 5 ms, in a loop; with "busy", they never sleep: every thread is runnable at every sample (none
// can be counted as idle), so a profiler must pause them all, and a budget has something to
// limit. Prints "ready".
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int started;
static int busy;

__attribute__((noipa)) unsigned long many_work(unsigned long n) {
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < n; i++) x += i ^ (i << 3);
  return x;
}

__attribute__((noipa)) static void many_loop(void) {
  atomic_fetch_add(&started, 1);
  struct timespec nap = {0, 5 * 1000 * 1000};
  for (;;) {
    many_work(20000);
    if (!busy) nanosleep(&nap, NULL);
  }
}

static void *thread_main(void *arg) {
  many_loop();
  return arg;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 64;
  if (n < 1 || n > 1024) return 2;
  busy = argc > 2 && argv[2][0] == 'b';
  for (int i = 1; i < n; i++) {
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
  }
  while (atomic_load(&started) < n - 1) usleep(1000);
  printf("ready\n");
  fflush(stdout);
  many_loop();
  return 0;
}
