// chain THREADS: every thread (main included) calls chain_level_1 -> 2 -> 3 -> 4 -> chain_block
// and blocks in pause(). Prints "ready" once all threads are blocked. Known names at known depth.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int thread_count = 4;
static atomic_int blocked;
static pthread_t main_thread;

// noinline + an empty asm after each call: no inlining, no tail calls, so the chain stays visible.
__attribute__((noinline)) void chain_block(void) {
  atomic_fetch_add(&blocked, 1);
  if (pthread_equal(pthread_self(), main_thread)) {
    while (atomic_load(&blocked) < thread_count) usleep(1000);
    printf("ready\n");
    fflush(stdout);
  }
  for (;;) pause();
}
__attribute__((noinline)) void chain_level_4(void) { chain_block(); __asm__ volatile(""); }
__attribute__((noinline)) void chain_level_3(void) { chain_level_4(); __asm__ volatile(""); }
__attribute__((noinline)) void chain_level_2(void) { chain_level_3(); __asm__ volatile(""); }
__attribute__((noinline)) void chain_level_1(void) { chain_level_2(); __asm__ volatile(""); }

static void *thread_main(void *arg) {
  chain_level_1();
  return arg;
}

int main(int argc, char **argv) {
  if (argc > 1) thread_count = atoi(argv[1]);
  if (thread_count < 1 || thread_count > 1000) return 2;
  main_thread = pthread_self();
  for (int i = 1; i < thread_count; i++) {
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
  }
  chain_level_1();
  return 0;
}
