// churn: threads are created and exit continuously (a few alive at any time), so a snapshot
// always races with threads that vanish between listing and capture. Prints "ready".
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) static void churn_work(void) {
  struct timespec ts = {0, 200000};  // 200 us of life
  nanosleep(&ts, NULL);
  __asm__ volatile("");
}

static void *short_lived(void *arg) {
  churn_work();
  return arg;
}

int main(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    pthread_t t[8];
    for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, short_lived, NULL);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  }
}
