// watch_bench_target SECONDS SIGNALS_PER_S THREADS_PER_S: the crash-watch overhead benchmark's
// target. Prints "ready", waits for a line on stdin (so a watch can be added first), then for
// SECONDS: the main thread does fixed units of CPU work and counts them; a second thread sends
// SIGUSR1 (handled, counted) to the main thread at SIGNALS_PER_S; a third creates and joins
// short-lived threads at THREADS_PER_S. Prints one JSON line: work units per second of the main
// thread (its throughput), signals and threads actually done.
// watch_bench_target raise N: instead, raises SIGUSR1 (handled) N times in a row and prints the
// mean time of one raise: the round trip one signal costs (through the watcher when watched).
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t signals_received;
static volatile int running = 1;
static pid_t main_tid;
static double seconds, signal_rate, thread_rate;

static void on_usr1(int sig) {
  (void)sig;
  signals_received++;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Sleeps until absolute time t (CLOCK_MONOTONIC seconds).
static void sleep_until(double t) {
  struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static long signals_sent;
static void* signaller(void* arg) {
  (void)arg;
  if (signal_rate <= 0) return NULL;
  double next = now();
  while (running) {
    syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
    signals_sent++;
    next += 1.0 / signal_rate;
    sleep_until(next);
  }
  return NULL;
}

static void* short_lived(void* arg) { return arg; }

static long threads_made;
static void* spawner(void* arg) {
  (void)arg;
  if (thread_rate <= 0) return NULL;
  double next = now();
  while (running) {
    pthread_t t;
    if (pthread_create(&t, NULL, short_lived, NULL) == 0) {
      pthread_join(t, NULL);
      threads_made++;
    }
    next += 1.0 / thread_rate;
    sleep_until(next);
  }
  return NULL;
}

// One unit of work: a few microseconds of integer arithmetic the compiler cannot drop.
static uint64_t work_unit(uint64_t x) {
  for (int i = 0; i < 2000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "raise") == 0) {
    long n = atol(argv[2]);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin)) return 4;
    double start = now();
    for (long i = 0; i < n; ++i) raise(SIGUSR1);
    double elapsed = now() - start;
    printf("{\"raise_ns\": %.1f, \"signals_received\": %d}\n", elapsed / (double)n * 1e9, (int)signals_received);
    return 0;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: watch_bench_target SECONDS SIGNALS_PER_S THREADS_PER_S\n");
    return 2;
  }
  seconds = atof(argv[1]);
  signal_rate = atof(argv[2]);
  thread_rate = atof(argv[3]);
  main_tid = (pid_t)syscall(SYS_gettid);
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 4;

  pthread_t s, t;
  pthread_create(&s, NULL, signaller, NULL);
  pthread_create(&t, NULL, spawner, NULL);
  uint64_t x = 1, units = 0;
  double start = now(), end = start + seconds;
  while (now() < end) {
    x = work_unit(x);
    ++units;
  }
  double elapsed = now() - start;
  running = 0;
  pthread_join(s, NULL);
  pthread_join(t, NULL);
  printf("{\"work_per_s\": %.1f, \"signals_sent\": %ld, \"signals_received\": %d, \"threads\": %ld, \"check\": %llu}\n",
         (double)units / elapsed, signals_sent, (int)signals_received, threads_made, (unsigned long long)(x & 1));
  return 0;
}
