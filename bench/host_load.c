// host_load: makes this host "busy" the way our users' hosts are, for the saturated-host runs of
// the benchmarks: SPINNERS threads that never sleep, plus WAKERS threads that each sleep 100 us
// and wake again, over and over (about 10,000 wake-ups per second each when a CPU is free), so
// the scheduler has both CPU-bound competitors and a stream of wake-ups to place.
//
// usage: host_load [--spin-per-cpu N] [--wakers N] [--seconds S]
//   --spin-per-cpu N  busy threads per online CPU (default 2: the "2 busy threads per core")
//   --wakers N        wake-up-heavy threads (default 8)
//   --seconds S       exit after S seconds (default 0: until SIGTERM/SIGINT)
// Prints "ready SPINNERS WAKERS" once every thread runs, and at exit "wakeups N" (how many
// wake-ups the wakers managed: tells whether the load was really there).
//
// build: gcc -O2 -pthread -o host_load host_load.c
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static atomic_long wakeups;
static atomic_int started;

static void on_signal(int sig) {
  (void)sig;
  atomic_store(&stop, 1);
}

static void* spin(void* arg) {
  (void)arg;
  volatile unsigned long x = 0;
  atomic_fetch_add(&started, 1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    for (int i = 0; i < 100000; ++i) x += (unsigned long)i * 2654435761u;
  }
  return NULL;
}

static void* wake(void* arg) {
  (void)arg;
  struct timespec nap = {0, 100 * 1000};
  long n = 0;
  atomic_fetch_add(&started, 1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    nanosleep(&nap, NULL);
    ++n;
  }
  atomic_fetch_add(&wakeups, n);
  return NULL;
}

static long parse(const char* flag, const char* value) {
  char* end = NULL;
  long v = strtol(value, &end, 10);
  if (value[0] == '\0' || *end != '\0' || v < 0 || v > 4096) {
    fprintf(stderr, "host_load: %s wants an integer 0..4096, got '%s'\n", flag, value);
    exit(2);
  }
  return v;
}

int main(int argc, char** argv) {
  long spin_per_cpu = 2, wakers = 8, seconds = 0;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) {
      fprintf(stderr, "host_load: %s needs a value (usage: host_load [--spin-per-cpu N] [--wakers N] [--seconds S])\n", argv[i]);
      return 2;
    }
    if (strcmp(argv[i], "--spin-per-cpu") == 0) spin_per_cpu = parse(argv[i], argv[i + 1]);
    else if (strcmp(argv[i], "--wakers") == 0) wakers = parse(argv[i], argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0) seconds = parse(argv[i], argv[i + 1]);
    else {
      fprintf(stderr, "host_load: unknown option %s\n", argv[i]);
      return 2;
    }
    ++i;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long spinners = spin_per_cpu * (cpus > 0 ? cpus : 1);
  long total = spinners + wakers;
  pthread_t* threads = calloc((size_t)(total > 0 ? total : 1), sizeof *threads);
  for (long i = 0; i < total; ++i) {
    if (pthread_create(&threads[i], NULL, i < spinners ? spin : wake, NULL) != 0) {
      fprintf(stderr, "host_load: pthread_create failed\n");
      return 1;
    }
  }
  while (atomic_load(&started) < total) usleep(1000);
  printf("ready %ld %ld\n", spinners, wakers);
  fflush(stdout);
  long waited_ms = 0;
  while (!atomic_load(&stop)) {
    usleep(10 * 1000);
    waited_ms += 10;
    if (seconds > 0 && waited_ms >= seconds * 1000) atomic_store(&stop, 1);
  }
  for (long i = 0; i < total; ++i) pthread_join(threads[i], NULL);
  printf("wakeups %ld\n", atomic_load(&wakeups));
  free(threads);
  return 0;
}
