// profile_late_threads DELAY_MS N: prints "ready", spins in late_early_work() for DELAY_MS, then
// starts N threads that spin in late_thread_work() (and the main thread goes on spinning), for
// ever: the threads a profiler must pick up after it started. Prints "started" once they run.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_int started;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noipa)) unsigned long late_spin(unsigned long n) {
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < n; i++) x += i * 3;
  return x;
}

__attribute__((noipa)) static void late_early_work(double until) {
  while (now_s() < until) late_spin(10000);
}

__attribute__((noipa)) static void late_thread_work(void) {
  atomic_fetch_add(&started, 1);
  for (;;) late_spin(10000);
}

static void *thread_main(void *arg) {
  late_thread_work();
  return arg;
}

int main(int argc, char **argv) {
  double delay = argc > 1 ? atof(argv[1]) / 1000.0 : 0.5;
  int n = argc > 2 ? atoi(argv[2]) : 2;
  if (n < 1 || n > 64) return 2;
  printf("ready\n");
  fflush(stdout);
  late_early_work(now_s() + delay);
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
  }
  while (atomic_load(&started) < n) late_spin(1000);
  printf("started\n");
  fflush(stdout);
  for (;;) late_spin(10000);
}
