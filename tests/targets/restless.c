// restless MODE: a target that changes under a debugger's feet, for the fault tests.
//   fork        forks a child that exits at once, every 1 ms, forever (2 extra threads run)
//   exec        re-executes itself every 2 ms, forever: same pid, new image, new threads
//   exit MS     3 threads, then the whole process exits 0 after MS milliseconds
// Prints "ready" once (exec: only the first image), then does its thing.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void *idle_thread(void *arg) {
  for (;;) sleep_ms(1);
  return arg;
}

static void start_threads(int n) {
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_create(&t, NULL, idle_thread, NULL);
  }
}

static void ready(void) {
  printf("ready\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "fork") == 0) {
    start_threads(2);
    ready();
    for (;;) {
      pid_t child = fork();
      if (child == 0) _exit(0);
      if (child > 0) waitpid(child, NULL, 0);
      sleep_ms(1);
    }
  }
  if (strcmp(argv[1], "exec") == 0) {
    // argv[2] is the generation; only the first one says ready (stdout is the test's pipe).
    long generation = argc > 2 ? atol(argv[2]) : 0;
    if (generation == 0) ready();
    start_threads(2);
    sleep_ms(2);
    char next[32];
    snprintf(next, sizeof next, "%ld", generation + 1);
    execl("/proc/self/exe", argv[0], "exec", next, (char *)NULL);
    return 3;  // exec failed
  }
  if (strcmp(argv[1], "exit") == 0 && argc > 2) {
    start_threads(3);
    ready();
    sleep_ms(atol(argv[2]));
    return 0;
  }
  return 2;
}
