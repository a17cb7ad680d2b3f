// profile_hotcold BUSY SLEEPING [SECONDS [TICK_MS]]: BUSY threads (main first) spend about 95% of
// their time in profile_hot() and 5% in profile_cold(); SLEEPING threads block in pause(). Prints
// "ready" once all threads run. With SECONDS > 0 it stops after that long and prints
// "throughput N" (work units per second, summed over busy threads): the benchmark's target.
// With TICK_MS > 0 the main busy thread also prints "tick MONO_NS UNITS CPU_NS" about every
// TICK_MS (CLOCK_MONOTONIC, units so far, the main thread's CPU time so far), so that a
// benchmark can cut one long run into windows (bench/profile_bench.py). The main thread prints
// them itself, between units, rather than a reporter thread: the target stays one busy thread
// (plus SLEEPING), as the profilers see it, and a late tick costs no precision because each
// line carries its own timestamp. SECONDS 0 with TICK_MS runs until killed.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int started;
static atomic_long units;
static atomic_int stop;
static long tick_ns;  // > 0: the main busy thread prints a "tick" line about every tick_ns

static long now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

// noipa: no inlining, cloning or interprocedural shortcuts, so samples land in these names.
__attribute__((noipa)) unsigned long profile_spin(unsigned long n) {
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < n; i++) x += i * i;
  return x;
}
__attribute__((noipa)) void profile_hot(void) { profile_spin(19000); __asm__ volatile(""); }
__attribute__((noipa)) void profile_cold(void) { profile_spin(1000); __asm__ volatile(""); }

// Prints a tick line when the next tick is due; the clock is read every 16 units (a unit is
// about 10 us), so the check costs well under 0.1 % of a unit.
__attribute__((noipa)) static void maybe_tick(long *next) {
  long now = now_ns(CLOCK_MONOTONIC);
  if (now < *next) return;
  printf("tick %ld %ld %ld\n", now, atomic_load_explicit(&units, memory_order_relaxed),
         now_ns(CLOCK_THREAD_CPUTIME_ID));
  fflush(stdout);
  *next = now + tick_ns;
}

__attribute__((noipa)) static void busy_loop(int ticks) {
  atomic_fetch_add(&started, 1);
  long next_tick = 0;
  unsigned long n = 0;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    profile_hot();
    profile_cold();
    atomic_fetch_add_explicit(&units, 1, memory_order_relaxed);
    if (ticks && (++n & 15) == 0) maybe_tick(&next_tick);
  }
}

static void *busy_main(void *arg) {
  busy_loop(0);
  return arg;
}

__attribute__((noipa)) static void sleep_forever(void) {
  atomic_fetch_add(&started, 1);
  for (;;) pause();
}

static void *sleeping_main(void *arg) {
  sleep_forever();
  return arg;
}

static void *timer_main(void *arg) {
  double s = *(double *)arg;
  struct timespec d = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&d, NULL);
  atomic_store(&stop, 1);
  return NULL;
}

static double now_s(void) { return (double)now_ns(CLOCK_MONOTONIC) / 1e9; }

int main(int argc, char **argv) {
  int busy = argc > 1 ? atoi(argv[1]) : 1;
  int sleeping = argc > 2 ? atoi(argv[2]) : 0;
  double seconds = argc > 3 ? atof(argv[3]) : 0;
  double tick_ms = argc > 4 ? atof(argv[4]) : 0;
  if (busy < 0 || busy > 256 || sleeping < 0 || sleeping > 256 || busy + sleeping < 1) return 2;
  if (tick_ms < 0 || tick_ms > 60000) return 2;
  tick_ns = (long)(tick_ms * 1e6);
  for (int i = 0; i < sleeping; i++) {
    pthread_t t;
    pthread_create(&t, NULL, sleeping_main, NULL);
  }
  for (int i = 1; i < busy; i++) {
    pthread_t t;
    pthread_create(&t, NULL, busy_main, NULL);
  }
  int expect = sleeping + (busy > 0 ? busy - 1 : 0);
  while (atomic_load(&started) < expect) usleep(1000);
  printf("ready\n");
  fflush(stdout);
  if (busy == 0) {
    for (;;) pause();
  }
  if (seconds <= 0) {
    busy_loop(tick_ns > 0);
    return 0;
  }
  // Timed run: a timer thread raises `stop`; busy threads (main included) then leave their loop.
  static double timed_seconds;
  timed_seconds = seconds;
  double t0 = now_s();
  pthread_t timer;
  pthread_create(&timer, NULL, timer_main, &timed_seconds);
  busy_loop(tick_ns > 0);
  double elapsed = now_s() - t0;
  printf("throughput %.1f\n", (double)atomic_load(&units) / elapsed);
  fflush(stdout);
  return 0;
}
