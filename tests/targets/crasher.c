// crasher MODE: the crash-watch tests' victim. Prints "ready", waits for a line on stdin (so the
// test can add a watch first), then dies the way MODE says. Built -O0 (crasher_O0: every
// variable on the stack) and -O2 (crasher_O2: as services are built).
//   null          store through a null pointer           SIGSEGV/SEGV_MAPERR, null page
//   wild          store through a wild pointer            SIGSEGV/SEGV_MAPERR, unmapped
//   overflow      unbounded recursion                     SIGSEGV, stack guard
//   deep N        recurse N levels, then a null store     SIGSEGV/SEGV_MAPERR at any depth
//   divzero       integer division by zero                SIGFPE/FPE_INTDIV
//   assert        a failed assert()                       SIGABRT, glibc's assertion message
//   abort         abort()                                 SIGABRT
//   double_free   free() twice                            SIGABRT, "free(): double free detected in tcache 2"
//   thread        null store in a second thread           SIGSEGV in "crash_thread"
//   handled       SIGSEGV caught by a handler, survives   exit 0, no crash
//   exit3         exit(3)                                  exit status 3
//   exec          re-executes itself in mode "null" (which says "ready" again and waits for
//                 another line): the watch must follow the exec
//   zombie_leader the main thread exits (pthread_exit) after "ready"; another thread waits for
//                 the line and exits 3: a watch added then never holds the leader
//   signals       2000 queued SIGRTMIN to its own handler, 2000 ignored SIGUSR1: exit 0 when
//                 every SIGRTMIN arrived, else 1
#define _GNU_SOURCE  // pthread_setname_np
#undef NDEBUG  // the assert mode needs assert() even in release builds
#include <assert.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

volatile int sink;
static int zero_divisor = 0;

struct account {
  int id;
  long balance;
  const char* owner;
};

NOINLINE void store_through(struct account* target, long amount) {
  const char* label = "deposit";
  int attempts = 3;
  target->balance = amount;  // target is NULL or wild
  sink = attempts + (int)strlen(label);
}

int recurse(int depth);
// Called through a volatile pointer and added to afterwards, so that no optimisation level can
// turn the recursion into a loop or a tail call: every level keeps its frame.
static int (*volatile recurse_again)(int) = recurse;
NOINLINE int recurse(int depth) {
  volatile char frame[256];
  frame[0] = (char)depth;
  return recurse_again(depth + 1) + frame[0];
}

int descend(int depth, int bottom);
static int (*volatile descend_again)(int, int) = descend;
// Recurses `bottom` levels deep, then stores through NULL: the same bug reached at different
// depths, which error grouping must count as one.
NOINLINE int descend(int depth, int bottom) {
  volatile char frame[64];
  frame[0] = (char)depth;
  if (depth >= bottom) store_through(NULL, depth);
  return descend_again(depth + 1, bottom) + frame[0];
}

NOINLINE int divide(int numerator, int divisor) { return numerator / divisor; }

NOINLINE void check_invariant(int value) {
  int expected = 42;
  assert(value == expected);
  sink = expected;
}

NOINLINE void release_twice(void) {
  char* buffer = malloc(32);
  strcpy(buffer, "twice");
  free(buffer);
  free(buffer);
}

static void* crash_thread_main(void* arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "crash_thread");
  store_through(NULL, 7);
  return NULL;
}

static void* idle_thread_main(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static volatile sig_atomic_t rt_received;
static void on_rt(int sig) {
  (void)sig;
  rt_received++;
}

static int send_signals(int n) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_rt;
  sigaction(SIGRTMIN, &sa, NULL);
  signal(SIGUSR1, SIG_IGN);
  for (int i = 0; i < n; ++i) {
    union sigval v = {.sival_int = i};
    sigqueue(getpid(), SIGRTMIN, v);  // real-time signals queue: each one must arrive
    raise(SIGUSR1);                   // ignored: must change nothing
  }
  for (int waited = 0; rt_received < n && waited < 10000; ++waited) usleep(1000);
  return rt_received == n ? 0 : 1;
}

static void* exit3_on_line(void* arg) {
  (void)arg;
  char line[64];
  if (!fgets(line, sizeof line, stdin)) exit(4);
  exit(3);
}

static sigjmp_buf recover;
static void on_segv(int sig) {
  (void)sig;
  siglongjmp(recover, 1);
}

static void start_idle_threads(int n) {
  for (int i = 0; i < n; ++i) {
    pthread_t t;
    pthread_create(&t, NULL, idle_thread_main, NULL);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: crasher MODE\n");
    return 2;
  }
  const char* mode = argv[1];
  start_idle_threads(2);  // every crash has other threads to show
  if (strcmp(mode, "zombie_leader") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, exit3_on_line, NULL);
    printf("ready\n");
    fflush(stdout);
    pthread_exit(NULL);
  }
  printf("ready\n");
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 4;

  if (strcmp(mode, "null") == 0) {
    store_through(NULL, 100);
  } else if (strcmp(mode, "wild") == 0) {
    store_through((struct account*)0xdead0000, 100);
  } else if (strcmp(mode, "overflow") == 0) {
    sink = recurse(0);
  } else if (strcmp(mode, "deep") == 0) {
    sink = descend(0, argc > 2 ? atoi(argv[2]) : 5);
  } else if (strcmp(mode, "divzero") == 0) {
    sink = divide(10, zero_divisor);
  } else if (strcmp(mode, "assert") == 0) {
    check_invariant(7);
  } else if (strcmp(mode, "abort") == 0) {
    abort();
  } else if (strcmp(mode, "double_free") == 0) {
    release_twice();
  } else if (strcmp(mode, "thread") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, crash_thread_main, NULL);
    pthread_join(t, NULL);
  } else if (strcmp(mode, "handled") == 0) {
    signal(SIGSEGV, on_segv);
    if (sigsetjmp(recover, 1) == 0) store_through(NULL, 1);
    printf("survived\n");
    fflush(stdout);
    return 0;
  } else if (strcmp(mode, "exec") == 0) {
    execl("/proc/self/exe", argv[0], "null", (char*)NULL);
    return 6;
  } else if (strcmp(mode, "signals") == 0) {
    return send_signals(2000);
  } else if (strcmp(mode, "exit3") == 0) {
    exit(3);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 5;  // not reached when the mode crashed
}
