// sleepers N [THREADS HEAVY]: forks N sleeping child processes, the first HEAVY of which run
// THREADS threads each (all sleeping in pause()), then prints "ready N" and waits until its
// stdin closes or it gets SIGTERM/SIGINT. Each child asks the kernel to kill it when this parent
// dies (PR_SET_PDEATHSIG), so a parent killed by anyone, a failing test or bench included,
// never leaves thousands of processes behind. For the process-table tests and the scale bench:
// a host of 10,000 processes costs a few hundred MB this way (copy-on-write children, 64 KiB
// thread stacks), not gigabytes of separate sleep(1) processes.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *sleep_forever(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void child(int ready_fd, pid_t parent, int threads) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);  // the parent died before the request took effect
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (int i = 1; i < threads; ++i) {  // the main thread is one of them
    pthread_t t;
    if (pthread_create(&t, &attr, sleep_forever, NULL) != 0) break;
  }
  char one = 1;
  if (write(ready_fd, &one, 1) != 1) _exit(1);
  close(ready_fd);
  sleep_forever(NULL);
}

static void stop(int sig) { (void)sig; _exit(0); }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sleepers N [THREADS HEAVY]\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  long heavy = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
  signal(SIGTERM, stop);
  signal(SIGINT, stop);
  int ready[2];
  if (pipe(ready) != 0) return 1;
  pid_t self = getpid();
  long started = 0;
  for (; started < n; ++started) {
    pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      child(ready[1], self, started < heavy ? threads : 1);
    }
    if (pid < 0) {
      fprintf(stderr, "fork %ld failed: %s\n", started, strerror(errno));
      break;
    }
  }
  close(ready[1]);
  long seen = 0;
  char buf[4096];
  while (seen < started) {
    ssize_t got = read(ready[0], buf, sizeof buf);
    if (got <= 0) break;
    seen += got;
  }
  printf("ready %ld\n", seen);
  fflush(stdout);
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
